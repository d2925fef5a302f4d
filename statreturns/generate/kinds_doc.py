"""The README's list of fault kinds, made from the registry so it cannot drift from the code.

``python -m statreturns.generate.kinds_doc`` prints the section; ``--write README.md`` replaces the text
between the two markers below; ``tests/test_kinds_doc.py`` fails when the README is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

START = "<!-- fault-kinds: made by python -m statreturns.generate.kinds_doc --write README.md -->"
END = "<!-- fault-kinds: end -->"
RETURNS = (("cin", "CIN census"), ("ssda903", "SSDA903"))


def _module_title(module: str) -> str:
    doc = " ".join((sys.modules[module].__doc__ or "").split()).replace("``", "`")
    return doc.split(". ")[0].rstrip(".") + "."


def _kind_rows() -> list[str]:
    from statreturns.generate.faults import KINDS, ORIGIN

    out: list[str] = []
    module = None
    for kind in KINDS.values():
        if ORIGIN[kind.name] != module:
            module = ORIGIN[kind.name]
            out += ["", f"`{module.replace('.', '/')}.py`: {_module_title(module)}", "",
                    "| kind | edits | CIN rules | SSDA903 rules |", "|---|---|---|---|"]
        out.append(f"| `{kind.name}` | {kind.table} | {', '.join(kind.cin_rules) or '-'} | "
                   f"{', '.join(kind.lac_rules) or '-'} |")
    return out


def _coverage(year: int) -> list[str]:
    from schemas.rules.cin import CIN
    from schemas.rules.ssda903 import LAC
    from statreturns.generate.faults import KINDS, UNREACHABLE, rules_without_a_kind

    left = rules_without_a_kind(year)
    out = ["", f"**Coverage of the core rules of {year - 1}-{str(year)[2:]}:**", "",
           "| return | core rules | with a kind | unreachable from an extract | neither (to do) |", "|---|---|---|---|---|"]
    for name, ruleset in (("cin", CIN), ("ssda903", LAC)):
        core = {r.code for r in ruleset.rules if r.set_name == "core" and r.applies_to(year)}
        claimed = {r for k in KINDS.values() for r in (k.cin_rules if name == "cin" else k.lac_rules)} & core
        unreachable = {code for (ret, code) in UNREACHABLE if ret == name} & core
        title = dict(RETURNS)[name]
        out.append(f"| {title} | {len(core)} | {len(claimed)} | {len(unreachable)} | {len(left[name])} |")
    for name, title in RETURNS:
        if left[name]:
            out += ["", f"{title} core rules no kind reaches yet: {', '.join(left[name])}."]
    return out


def _unreachable() -> list[str]:
    from statreturns.generate.faults import UNREACHABLE

    out = ["", "**Rules no extract can reach** (`faults.UNREACHABLE`: the build or the reader writes the item, "
           "not the extract):", "", "| return | rule | why |", "|---|---|---|"]
    titles = dict(RETURNS)
    for (name, code), why in sorted(UNREACHABLE.items(), key=lambda kv: (kv[0][0], kv[0][1].zfill(8))):
        out.append(f"| {titles[name]} | {code} | {why} |")
    return out


def section(year: int = 2026) -> str:
    """The README section between the markers (markers included)."""
    return "\n".join([START, *_kind_rows(), *_unreachable(), *_coverage(year), "", END])


def rewrite(readme: str, year: int = 2026) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + section(year) + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="the README to update in place")
    parser.add_argument("--year", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.write:
        args.write.write_text(rewrite(args.write.read_text(encoding="utf-8"), args.year), encoding="utf-8")
    else:
        print(section(args.year))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
