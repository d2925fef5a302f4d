"""Value rules shared by every source: dates, flags, identifiers, code maps and the duplicate rule.

Each function is vectorised and returns the cleaned values with a mask of the values it could not
read, so the caller quarantines those rows (never raising, never quoting a value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from statreturns.ssd import map_codes  # noqa: F401 - one implementation for both layouts

# Tried in order on what is still unparsed. Day-first only: these systems are English; a US order
# (mm/dd/yyyy) would silently swap day and month, so it is never guessed.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d", "%d-%b-%Y", "%d %b %Y",
                "%d %B %Y", "%d-%B-%Y", "%d/%b/%Y")
_TIME = r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
FLAGS = {"Y": True, "YES": True, "TRUE": True, "T": True, "1": True, "N": False, "NO": False, "FALSE": False,
         "F": False, "0": False}
ID_COLUMNS = ("child_id", "pupil_id", "episode_id", "assessment_id", "plan_id", "s47_id", "cpp_id", "UPN",
              "FormerUPN")


def text(s: pd.Series) -> pd.Series:
    """Stripped text as object dtype, blank as None."""
    # object dtype throughout: a round trip through Arrow strings costs more than the strip itself
    obj = s.astype("object")
    strings = pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty")
    stripped = obj.str.strip() if strings else obj.astype("str").str.strip()
    return stripped.astype("object").where(s.notna() & (stripped != ""), None)


def ids(s: pd.Series) -> pd.Series:
    """Identifiers trimmed and upper-cased (systems differ in case and pad with spaces), blank as None."""
    t = text(s)
    return t.str.upper().where(t.notna(), None)


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Every date format these systems emit -> (datetime64 values, unparseable mask).

    A datetime column passes through (spreadsheet readers give dates as ISO text); a time of day is
    ignored; a bare 5-digit number is an Excel serial day. Two-digit years are refused: 01/02/10 could be 1910 or 2010.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        return pd.to_datetime(s).dt.normalize().astype("datetime64[ns]"), pd.Series(False, index=s.index)
    t = text(s)
    present = t.notna()
    body = t.astype("str").str.replace(_TIME, "", regex=True).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = present.copy()
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        got = _ns(pd.to_datetime(body.where(todo), format=fmt, errors="coerce"))
        out = out.mask(got.notna(), got)
        todo &= got.isna()
    serial = todo & body.str.fullmatch(r"\d{5}(?:\.0+)?")
    if serial.any():
        days = pd.to_numeric(body.where(serial), errors="coerce")
        got = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
        out = out.mask(serial, got)
        todo &= ~serial
    return out.astype("datetime64[ns]"), todo


def _ns(got: pd.Series) -> pd.Series:
    """Nanosecond datetimes (the canonical dtype); a date outside 1677-2262 (a typo like 1066) is unparseable."""
    inside = got.notna() & (got >= pd.Timestamp.min) & (got <= pd.Timestamp.max)
    return got.where(inside).astype("datetime64[ns]")


def parse_flags(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no in any spelling (Y, Yes, true, 1, ...) -> (nullable booleans, unreadable mask)."""
    key = ids(s)
    table = pd.Series(FLAGS)
    got = pd.Series(table.reindex(key.to_numpy()).to_numpy(), index=s.index, dtype="object")
    bad = key.notna() & got.isna()
    return pd.Series(pd.array(got.where(got.notna(), None), dtype="boolean"), index=s.index), bad


def superseded(frame: pd.DataFrame, key: list[str]) -> np.ndarray:
    """The duplicate rule: within one source the LAST row for a key wins (extracts list records in
    edit order, and a later line is a later edit); earlier rows with the same key are superseded.

    Returns the mask of superseded rows; rows with a missing key are never superseded (they fail on
    their own).
    """
    keyed = frame[key].notna().all(axis=1).to_numpy()
    dup = frame.duplicated(subset=key, keep="last").to_numpy()
    return dup & keyed
