"""CIN census rules on the Header block."""

from __future__ import annotations

import pandas as pd

from schemas.rules.cin.base import YEARS, rule


@rule("100", "error", table="Header", fields=["ReferenceDate"], years=YEARS, level="return",
      message="Reference Date is incorrect")
def reference_date(t) -> pd.Series:
    # DfE: ReferenceDate must equal 31 March of the collection year. We compare with the year the
    # census is being validated for (--year), which is the Header Year in a well-formed file.
    header = t.Header
    return header["ReferenceDate"].isna() | (header["ReferenceDate"] != t.reference_date)
