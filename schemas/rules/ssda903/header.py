"""SSDA903 rules on the Header, UASC, Reviews and Missing tables (and last year's Header)."""

from __future__ import annotations

import pandas as pd

from schemas.rules.ssda903.base import ALL_YEARS, rule


@rule("102", "error", table="Header", fields=["DOB"], years=ALL_YEARS,
      message="Date of birth is not a valid date.")
def dob_not_valid(t) -> pd.Series:
    # Blank is an error too (DfE text); an unparseable value is NaT after build_tables.
    return t.Header["DOB"].isna()
