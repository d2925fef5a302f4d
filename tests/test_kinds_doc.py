"""The README's tables of fault kinds are the registry's (made by statreturns.generate.kinds_doc)."""

from pathlib import Path

from statreturns.generate import kinds_doc

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_kind_and_unreachable_rule_as_registered():
    text = README.read_text(encoding="utf-8")
    current = bool(kinds_doc.rewrite(text) == text)
    assert current, "README's fault-kind section is stale: python -m statreturns.generate.kinds_doc --write README.md"


def test_section_names_each_kind_once():
    from statreturns.generate.faults import KINDS

    body = kinds_doc.section()
    assert all(body.count(f"| `{name}` |") == 1 for name in KINDS)
    assert body.startswith(kinds_doc.START) and body.endswith(kinds_doc.END)
