"""`statreturns cross`: the cross-return checks on return files and school rolls (wired into pipelines/cli.py).

    statreturns cross --cin FILE.xml --ssda903 DIR [--school FILE ...] [--ctf FILE ...] --year Y [--la LA] --out DIR

For returns built elsewhere (say, a 903 from a separate looked-after children's system): the CIN census
XML, this year's SSDA903 CSV folder, and any school rolls (MIS pupil reports read through the generic-mis
profile, CTFs through the ctf profile). Writes issues.csv (return ``cross``, severity query), issues.xlsx
and rules.csv to DIR; roll rows that could not be read go to DIR/school_quarantine.csv (file, line,
reason). Exit codes: 0 the checks ran (their findings are queries), 1 a check raised (see rules.csv),
2 an unreadable input or bad usage, with one line on stderr.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-command to the top-level parser."""
    x = sub.add_parser("cross", help="check the CIN census, the SSDA903 and school rolls against each other")
    x.add_argument("--cin", type=Path, required=True, help="the CIN census XML file")
    x.add_argument("--ssda903", type=Path, required=True, help="the folder of this year's SSDA903 CSVs")
    x.add_argument("--school", type=Path, action="append", default=[],
                   help="a school MIS pupil report (CSV, XLSX or SIMS XML; repeatable)")
    x.add_argument("--ctf", type=Path, action="append", default=[], help="a Common Transfer File (repeatable)")
    x.add_argument("--year", type=int, required=True)
    x.add_argument("--la", default=None, help="this LA's 3-digit DfE number (to read the rolls' CareAuthority)")
    x.add_argument("--out", type=Path, required=True)


def run(args: argparse.Namespace) -> int | None:
    """Run the command if it is ours and return its exit code; None if it is not ours."""
    if args.command != "cross":
        return None
    return _cross(args)


def read_rolls(mis: list[Path], ctf: list[Path]):
    """Every roll given, as one canonical school_pupils frame (None when none is), and the quarantine."""
    import pandas as pd

    from statreturns.ingest.profiles import load_profile
    from statreturns.ingest.run import read_unlanded
    from statreturns.school import read_pupils

    frames, quarantine = [], []
    for path in mis:
        pupils, q = read_pupils(path)
        frames.append(pupils)
        quarantine.append(q)
    for path in ctf:
        tables, q = read_unlanded("ctf", [path], load_profile("ctf"), "ctf")
        frames.append(tables.get("school_pupils", pd.DataFrame()))
        quarantine.append(q)
    roll = pd.concat(frames, ignore_index=True) if frames else None
    return roll, (pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame())


def _cross(args: argparse.Namespace) -> int:
    from pipelines.cli import UsageError, _read_903, _report
    from statreturns.cin.xml_reader import read_cin_xml
    from statreturns.cross import validate_cross
    from statreturns.files import write_csv_atomic

    for path in [args.cin, *args.school, *args.ctf]:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    cin = read_cin_xml(args.cin)
    lac = _read_903(args.ssda903)
    roll, quarantine = read_rolls(args.school, args.ctf)
    if len(quarantine):
        args.out.mkdir(parents=True, exist_ok=True)
        path = write_csv_atomic(quarantine, args.out / "school_quarantine.csv")
        print(f"school rolls: {len(quarantine):,} row(s) could not be read: see {path}")
    result = validate_cross(cin.frames, lac, roll, args.year, la_code=args.la)
    return _report(result, args.out, f"Cross-return checks {args.year}")
