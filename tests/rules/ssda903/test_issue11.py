"""Issue #11, SSDA903 items 6-14: the cases an outside check found answering differently from the DfE text.

Collection year 2026 (1 April 2025 - 31 March 2026) unless said. All values are made up.
"""

from __future__ import annotations

from schemas.rules.ssda903 import LAC
from tests.rules.helpers import failing_rows, lac_tables


def h(child: str, **kw) -> dict:
    return {"CHILD": child, **kw}


def ep(child: str, decom: str, dec: str | None = None, **kw) -> dict:
    return {"CHILD": child, "DECOM": decom, "DEC": dec, "RNE": "S", "LS": "C2", "PLACE": "U1", **kw}


def mis(child: str, start: str | None, end: str | None = None, kind: str | None = "M") -> dict:
    return {"CHILD": child, "MISSING": kind, "MIS_START": start, "MIS_END": end}


# --- item 6: 565 / 566 fire only when MISSING is blank ---------------------------------------------------

def test_565_566_only_a_blank_missing_type():
    rows = [mis("1", "01/05/2025", "02/05/2025", kind=None),  # blank: both fire
            mis("2", "01/05/2025", "02/05/2025", kind="X"),   # invalid: 1006 alone
            mis("3", "01/05/2025", "02/05/2025"),             # valid: none
            mis("4", "01/05/2025", None, kind="zz"),          # invalid, no end: 1006 alone
            mis("5", None, None, kind=None)]                  # nothing given: none
    t = lac_tables(Missing=rows)
    assert failing_rows(LAC, "565", t) == [0]
    assert failing_rows(LAC, "566", t) == [0]
    assert failing_rows(LAC, "1006", t) == [1, 3]
