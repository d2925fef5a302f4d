"""`statreturns` commands for retention, subject access and minimised exports (wired into pipelines/cli.py).

    statreturns retention plan --as-of DATE [--schedule council|school|FILE] [--series ID ...]
    statreturns retention approve PLAN_ID --by NAME
    statreturns retention apply PLAN_ID [--by NAME]
    statreturns retention verify
    statreturns retention hold add --scope child|series|all [--child ID] [--series ID] --reason R
                                   --authority A --start DATE [--end DATE] [--by NAME]
    statreturns retention hold list | hold end HOLD_ID --on DATE [--by NAME]
    statreturns retention record-export KIND PATH     (a return file or submission pack sent out)
    statreturns retention shared CHILD_ID
    statreturns dsar CHILD_ID --out DIR
    statreturns export minimised --use-case NAME --recipient R --out DIR

All take --run-dir, --database-url and --la (the LA whose warehouse: `warehouse/<la>.sqlite` in the run
folder, or with a server URL the schema `la_<la>`). Output names no child: counts, series, plan ids and paths only.
Exit codes: 0 ok, 1 problems found (audit chain broken, plan refused), 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from statreturns.deployment import default_la

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run-dir", default=os.environ.get("STATRETURNS_RUN_DIR", "run"))
    p.add_argument("--database-url", help="a warehouse URL, used as it is unless --la is given "
                   "(default: STATRETURNS_DATABASE_URL, with the LA's schema or file as the pipeline uses it)")
    p.add_argument("--la", help="the LA whose warehouse to use (its own SQLite file or schema); "
                   "default: STATRETURNS_LA, else the only LA in STATRETURNS_LAS")


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands to the top-level parser."""
    ret = sub.add_parser("retention", help="retention schedule: plan, approve, apply, verify, legal holds")
    rsub = ret.add_subparsers(dest="retention_cmd", required=True)
    plan = rsub.add_parser("plan", help="compute what is due and write a plan (prints the plan id last)")
    plan.add_argument("--as-of", type=_iso_date, required=True)
    plan.add_argument("--schedule", default=os.environ.get("STATRETURNS_RETENTION_SCHEDULE", "council"),
                      help="council, school or a schedule YAML file")
    plan.add_argument("--series", nargs="+", help="only these series (conflicts still use all)")
    plan.add_argument("--by", default=None)
    approve = rsub.add_parser("approve", help="record a person's approval of a plan")
    approve.add_argument("plan_id")
    approve.add_argument("--by", required=True)
    apply = rsub.add_parser("apply", help="apply an approved plan")
    apply.add_argument("plan_id")
    apply.add_argument("--by", default=None)
    verify = rsub.add_parser("verify", help="recompute the audit log's hash chain and check it against the anchor")
    verify.add_argument("--anchor", action="append", default=[],
                        help="an anchor line (as printed by apply) or a file of them; default: the run "
                        "folder's anchor file")
    rec = rsub.add_parser("record-export", help="record a return file or submission pack in the sharing register")
    rec.add_argument("kind", help="an export kind from data/retention/sharing.yaml (cin_census, ssda903, ...)")
    rec.add_argument("path", type=Path)
    rec.add_argument("--by", default=None)
    shared = rsub.add_parser("shared", help="the exports that carried one child's data")
    shared.add_argument("child_id")
    hold = rsub.add_parser("hold", help="legal holds")
    hsub = hold.add_subparsers(dest="hold_cmd", required=True)
    add = hsub.add_parser("add")
    add.add_argument("--scope", choices=["child", "series", "all"], required=True)
    add.add_argument("--child")
    add.add_argument("--series")
    add.add_argument("--reason", required=True)
    add.add_argument("--authority", required=True)
    add.add_argument("--start", type=_iso_date, required=True)
    add.add_argument("--end", type=_iso_date)
    add.add_argument("--by", default=None)
    hlist = hsub.add_parser("list")
    end = hsub.add_parser("end")
    end.add_argument("hold_id", type=int)
    end.add_argument("--on", type=_iso_date, required=True)
    end.add_argument("--by", default=None)
    dsar = sub.add_parser("dsar", help="everything held on one child, for a subject access request")
    dsar.add_argument("child_id")
    dsar.add_argument("--out", type=Path, required=True)
    dsar.add_argument("--by", default=None)
    exp = sub.add_parser("export", help="exports recorded in the sharing register")
    esub = exp.add_subparsers(dest="export_cmd", required=True)
    mini = esub.add_parser("minimised", help="a minimised extract for a regional hub")
    mini.add_argument("--use-case", required=True)
    mini.add_argument("--recipient", required=True)
    mini.add_argument("--out", type=Path, required=True)
    mini.add_argument("--by", default=None)
    for p in (plan, approve, apply, verify, rec, shared, add, hlist, end, dsar, mini):
        _common(p)


def _engine(args: argparse.Namespace):
    """The warehouse the pipeline writes for the LA; an explicit --database-url is taken as it is."""
    from statreturns import warehouse

    url = args.database_url or os.environ.get("STATRETURNS_DATABASE_URL")
    if not url:
        return warehouse.engine_for(warehouse.default_url(Path(args.run_dir), args.la))
    if args.la and ("{la}" in url or not url.startswith("sqlite")):
        return warehouse.engine_for(*warehouse.url_for_la(url, args.la))
    return warehouse.engine_for(url)  # an SQLite file without {la} is one LA's warehouse already


def run(args: argparse.Namespace) -> int | None:
    """Run the command if it is one of ours and return its exit code; None if it is not ours."""
    if args.command not in ("retention", "dsar", "export"):
        return None
    if not args.la and not args.database_url:
        args.la = default_la()
    from sqlalchemy.exc import SQLAlchemyError

    from statreturns.retention.anonymise import MissingKeyError
    from statreturns.retention.apply import ApplyRefused

    engine = _engine(args)
    try:
        if args.command == "dsar":
            return _dsar(engine, args)
        if args.command == "export":
            return _minimised(engine, args)
        return _retention(engine, args)
    except ApplyRefused as exc:
        print(f"statreturns: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except MissingKeyError as exc:
        print(f"statreturns: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:  # its text may quote the values of a statement: withheld
        print(f"statreturns: database error ({type(exc).__name__}; message withheld: it may quote data)",
              file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()


def _retention(engine, args: argparse.Namespace) -> int:
    cmd = args.retention_cmd
    if cmd == "plan":
        return _plan(engine, args)
    if cmd == "approve":
        from statreturns.retention.plan import approve

        approve(engine, args.plan_id, args.by)
        print(f"plan {args.plan_id} approved")
        return EXIT_OK
    if cmd == "apply":
        return _apply(engine, args)
    if cmd == "verify":
        return _verify(engine, args)
    if cmd == "record-export":
        from statreturns.retention.sharing import record_export, subjects_in

        if not args.path.exists():
            raise ValueError(f"{args.path}: no such file")
        subjects = subjects_in(args.path)
        seq = record_export(engine, args.kind, args.path, subjects, args.by or _actor())
        print(f"sharing register entry {seq}: {args.kind}, {len(subjects):,} children")
        return EXIT_OK
    if cmd == "shared":
        import json

        from statreturns.retention.sharing import shared_with

        entries = shared_with(engine, args.child_id)
        for e in entries:
            d = json.loads(e["detail"])
            print(f"{e['at']}  entry {e['seq']}  {e['action']}  to: {d['recipient']}  basis: {d['lawful_basis']}"
                  f"  sha256: {d['content_hash']}")
        print(f"{len(entries)} export(s) carried this child's data")
        return EXIT_OK
    return _hold(engine, args)


def _verify(engine, args: argparse.Namespace) -> int:
    from statreturns.retention import anchor

    anchors = []
    for given in args.anchor:
        path = Path(given)
        found = anchor.read(path) if path.is_file() else anchor.parse(given)
        if not found:
            print(f"statreturns: no anchor line in {given!r}", file=sys.stderr)
            return EXIT_USAGE
        anchors.extend(found)
    default = anchor.anchor_path(Path(args.run_dir), args.la)
    if not args.anchor:
        anchors = anchor.read(default)
    result = anchor.check(engine, anchors)
    print(result.message, file=sys.stdout if result.ok else sys.stderr)
    if not anchors:
        print(f"no anchor file at {default}: only the chain was checked (a log cut at its end or rewritten "
              "whole needs the anchor; pass --anchor with the line apply printed)", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def _plan(engine, args: argparse.Namespace) -> int:
    from statreturns.retention.plan import make_plan
    from statreturns.retention.schedule import default_path

    path = default_path(args.schedule) if args.schedule in ("council", "school") else Path(args.schedule)
    result = make_plan(engine, Path(args.run_dir), path, args.as_of, args.by or _actor(), args.series)
    print(f"retention plan as of {args.as_of.isoformat()}: {result.batches} batch(es)")
    for series, counts in sorted(result.counts.items()):
        print(f"  {series}: " + ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items())))
    print(f"detail for the DPO: {result.folder / 'detail.csv'}")
    print(result.plan_id)
    return EXIT_OK


def _apply(engine, args: argparse.Namespace) -> int:
    from statreturns.retention.apply import apply_plan

    result = apply_plan(engine, Path(args.run_dir), args.plan_id, args.by or _actor(), la=args.la)
    if result.already_applied:
        print(f"plan {args.plan_id} was already applied: nothing changed")
        return EXIT_OK
    print(f"plan {args.plan_id} applied: {result.batches_applied} batch(es)")
    for series, tables in sorted(result.counts.items()):
        print(f"  {series}: " + ", ".join(f"{t} {n:,}" for t, n in sorted(tables.items())))
    print(f"files edited: {len(result.files.edited)}, withdrawn: {len(result.files.withdrawn)}")
    for name in result.files.withdrawn:
        print(f"  withdrawn — rebuild: {name}")
    if result.landing_available:
        print(f"landed copies: {sum(result.landing.values()):,} rows removed or cells blanked")
    else:
        print("landing area: not available, landed copies not purged", file=sys.stderr)
    print("audit anchor (keep this line outside the warehouse; `retention verify --anchor LINE` checks it):")
    print(result.anchor)
    return EXIT_OK


def _hold(engine, args: argparse.Namespace) -> int:
    from statreturns.retention import holds

    if args.hold_cmd == "add":
        hold_id = holds.add(engine, scope=args.scope, subject=args.child, series=args.series, reason=args.reason,
                            authority=args.authority, start=args.start, end=args.end, actor=args.by or _actor())
        print(f"hold {hold_id} added ({args.scope})")
        return EXIT_OK
    if args.hold_cmd == "end":
        holds.end(engine, args.hold_id, args.on, args.by or _actor())
        print(f"hold {args.hold_id} ends on {args.on.isoformat()}")
        return EXIT_OK
    table = holds.table(engine)
    for h in table.itertuples():
        scope = "a child" if h.scope == "child" else (f"series {h.series}" if h.scope == "series" else "all")
        until = "open" if h.end_date is None or str(h.end_date) == "NaT" else f"{h.end_date:%Y-%m-%d}"
        print(f"hold {h.hold_id}: {scope}; {h.reason}; authority: {h.authority}; "
              f"from {h.start_date:%Y-%m-%d} to {until}")
    print(f"{len(table)} hold(s)")
    return EXIT_OK


def _dsar(engine, args: argparse.Namespace) -> int:
    from statreturns.retention.dsar import export

    result = export(engine, Path(args.run_dir), args.child_id, args.out, args.by or _actor(), la=args.la)
    print(f"subject access export: {sum(result.counts.values()):,} rows in {len(result.counts)} part(s) "
          f"to {result.folder}; sharing register entry {result.audit_seq}")
    return EXIT_OK


def _minimised(engine, args: argparse.Namespace) -> int:
    from statreturns.retention.export import minimised

    result = minimised(engine, args.out, args.use_case, args.recipient, args.by or _actor())
    print(f"minimised extract {args.use_case}: " + ", ".join(f"{t} {n:,}" for t, n in result.rows.items())
          + f"; {result.subjects:,} children; sharing register entry {result.audit_seq}; to {args.out}")
    return EXIT_OK
