"""Load Ofsted's provider lists (xlsx) into the OfstedProviderLists frame some SSDA903 rules need.

Ofsted publishes "children's homes" and "children's social care providers" lists as workbooks. We
read every sheet whose header row (searched for in the first rows, as the lists open with title
lines) has a URN column and a provider-type column. Column headers are matched case-insensitively,
ignoring spacing and punctuation, against these names:

================  =====================================================================  ========
what              accepted headers                                                        needed
================  =====================================================================  ========
URN               URN, Provider URN, Setting URN                                          yes
provider type     Provider type, Provision type, Setting type, Type of provider          yes
sector            Sector, Provider sector, Ownership, Ownership type                      no
postcode          Postcode, Setting postcode, Setting address postcode, Provider postcode no
end of            Registration end date, Date closed, Closed date, Deregistration date,   no
registration      Date deregistered, Date registration ended
================  =====================================================================  ========

The frame has one row per URN (lists that repeat a URN are merged: codes united, the latest
registration end kept, NaT winning as "still registered"):

- URN (str), as written in the list (numbers without a trailing ``.0``), upper-cased;
- PLACE_CODES (str): comma-separated placement codes the provider type may be used for
  (secure children's home K1; children's home K2; supported accommodation K3; residential family
  centre R3; residential special school S1; independent fostering agency U1-U6; voluntary adoption
  agency A3-A6); empty when the type gives none;
- PROVIDER_CODES (str): comma-separated PR codes from the sector (local authority PR1,PR2; health
  PR3; private PR4; voluntary/charity PR5); empty when not known;
- REG_END (datetime64[us]): end of registration, NaT while registered;
- POSTCODE (str): upper case, one space before the inward code, or None;
- PL_LA (str): upper-tier LA code of POSTCODE from the postcode directory when one is given, else None.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from statreturns.ssda903.postcodes import PostcodeDirectory, normalise

OUTPUT_COLUMNS = ["URN", "PLACE_CODES", "PROVIDER_CODES", "REG_END", "POSTCODE", "PL_LA"]
HEADER_SEARCH_ROWS = 30

ALIASES: dict[str, tuple[str, ...]] = {
    "URN": ("urn", "provider urn", "setting urn"),
    "TYPE": ("provider type", "provision type", "setting type", "type of provider"),
    "SECTOR": ("sector", "provider sector", "ownership", "ownership type"),
    "POSTCODE": ("postcode", "setting postcode", "setting address postcode", "provider postcode"),
    "REG_END": ("registration end date", "date closed", "closed date", "deregistration date",
                "date deregistered", "date registration ended"),
}
REQUIRED = ("URN", "TYPE")

# (pattern in the lower-cased provider type, pattern that must NOT match, codes)
PLACE_RULES: list[tuple[str, str | None, list[str]]] = [
    (r"secure children's home", None, ["K1"]),
    (r"children's home", r"secure children's home", ["K2"]),
    (r"supported accommodation", None, ["K3"]),
    (r"residential family centre", None, ["R3"]),
    (r"residential special school", None, ["S1"]),
    (r"independent fostering agency", None, ["U1", "U2", "U3", "U4", "U5", "U6"]),
    (r"voluntary adoption agency", None, ["A3", "A4", "A5", "A6"]),
]
SECTOR_RULES: list[tuple[str, str | None, list[str]]] = [
    (r"local authority|council", None, ["PR1", "PR2"]),
    (r"health|nhs", None, ["PR3"]),
    (r"private", None, ["PR4"]),
    (r"voluntary|charit|third sector", None, ["PR5"]),
]


class OfstedListError(ValueError):
    """A workbook with no sheet that looks like an Ofsted provider list."""


def _key(header: object) -> str:
    text = str(header or "").replace("\u2019", "'").lower()
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text)).strip()


_ALIAS_LOOKUP = {alias: field for field, names in ALIASES.items() for alias in names}


def _header_map(row: tuple) -> dict[str, int]:
    """Field -> column position, for a row that might be the header."""
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        field = _ALIAS_LOOKUP.get(_key(cell))
        if field and field not in found:
            found[field] = i
    return found


def _sheet_frame(rows: Iterable[tuple]) -> pd.DataFrame | None:
    """The sheet's rows under the first header row that has the required fields, or None."""
    rows = iter(rows)
    for _ in range(HEADER_SEARCH_ROWS):
        row = next(rows, None)
        if row is None:
            return None
        header = _header_map(row)
        if all(f in header for f in REQUIRED):
            break
    else:
        return None
    data = [tuple(r) for r in rows]
    cols = {f: [r[i] if i < len(r) else None for r in data] for f, i in header.items()}
    return pd.DataFrame({f: pd.Series(cols.get(f, [None] * len(data)), dtype=object) for f in ALIASES})


def _urn(values: pd.Series) -> pd.Series:
    text = values.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    text = text.astype("str").str.strip().str.upper()
    return text.where(values.notna() & (text != ""))


def _dates(values: pd.Series) -> pd.Series:
    is_date = values.map(lambda v: isinstance(v, dt.date))
    as_dates = pd.to_datetime(values.where(is_date), errors="coerce")
    text = values.where(~is_date & values.notna()).astype("str").str.strip()
    uk = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    iso = pd.to_datetime(text.str[:10], format="%Y-%m-%d", errors="coerce")
    return as_dates.fillna(uk).fillna(iso).astype("datetime64[us]")


def _codes(text: pd.Series, rules: list[tuple[str, str | None, list[str]]]) -> pd.Series:
    """Comma-separated codes of every rule whose pattern is in the text (vectorised per rule)."""
    lowered = text.astype("str").str.replace("\u2019", "'", regex=False).str.lower().fillna("")
    out = pd.Series("", index=text.index, dtype=object)
    for pattern, exclude, codes in rules:
        hit = lowered.str.contains(pattern, regex=True)
        if exclude:
            hit &= ~lowered.str.contains(exclude, regex=True)
        out = out + np.where(hit, ",".join(codes) + ",", "")
    return out.str.rstrip(",").astype(object)


def _read_workbook(path: Path) -> pd.DataFrame:
    from openpyxl import load_workbook  # here: a run whose lists are cached never needs it

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        frames = [_sheet_frame(ws.iter_rows(values_only=True)) for ws in book.worksheets]
    finally:
        book.close()
    frames = [f for f in frames if f is not None]
    if not frames:
        raise OfstedListError(f"{path.name}: no sheet with a URN and a provider type column")
    return pd.concat(frames, ignore_index=True)


def _merge_urns(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per URN: codes united (in code order), latest REG_END with NaT winning, first postcode."""
    def united(col: str) -> pd.Series:
        codes = frame[["URN", col]].assign(**{col: frame[col].str.split(",")}).explode(col)
        codes = codes[codes[col].notna() & (codes[col] != "")]
        return codes.drop_duplicates().sort_values(col).groupby("URN")[col].agg(",".join)

    grouped = frame.groupby("URN", sort=True)
    still_open = frame["REG_END"].isna().groupby(frame["URN"]).any()
    out = pd.DataFrame({"REG_END": grouped["REG_END"].max().where(~still_open)})
    out["POSTCODE"] = grouped["POSTCODE"].first()
    out["PLACE_CODES"] = united("PLACE_CODES")
    out["PROVIDER_CODES"] = united("PROVIDER_CODES")
    out[["PLACE_CODES", "PROVIDER_CODES"]] = out[["PLACE_CODES", "PROVIDER_CODES"]].fillna("")
    return out.reset_index()


def load_provider_lists(
    paths: Iterable[str | Path], directory: PostcodeDirectory | None = None
) -> pd.DataFrame:
    """Read Ofsted provider-list workbooks into the OfstedProviderLists frame (see module docstring)."""
    frame = _read_lists([Path(p) for p in paths])
    frame["PL_LA"] = _provider_la(frame["POSTCODE"], directory)
    return frame[OUTPUT_COLUMNS]


def _read_lists(paths: list[Path]) -> pd.DataFrame:
    """Every column of the frame but PL_LA (which depends on the postcode directory, not the lists)."""
    raw = pd.concat([_read_workbook(p) for p in paths], ignore_index=True)
    frame = pd.DataFrame({
        "URN": _urn(raw["URN"]),
        "PLACE_CODES": _codes(raw["TYPE"], PLACE_RULES),
        "PROVIDER_CODES": _codes(raw["SECTOR"], SECTOR_RULES),
        "REG_END": _dates(raw["REG_END"]),
        "POSTCODE": _postcodes(raw["POSTCODE"]),
    })
    frame = _merge_urns(frame[frame["URN"].notna()])
    frame["URN"] = frame["URN"].astype(object)
    return frame[OUTPUT_COLUMNS[:-1]]


CACHE_FORMAT = 1  # bump when what load_provider_lists makes of a workbook changes


def _cache_key(paths: list[Path]) -> str:
    """The workbooks' bytes (in order) and how they are read: a list that changes, or a new reading of
    it, is a new key; an edited workbook is never served from an older read."""
    h = hashlib.sha256(f"format={CACHE_FORMAT};{ALIASES};{PLACE_RULES};{SECTOR_RULES};{HEADER_SEARCH_ROWS}".encode())
    for path in paths:
        h.update(b"\0file\0")
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:32]


def _read_cached(path: Path) -> pd.DataFrame | None:
    """A cached read (every column but PL_LA) with load_provider_lists' dtypes, or None if unreadable."""
    try:
        table = pd.read_parquet(path)
    except Exception:  # noqa: BLE001 - a damaged or partial cache file is read from the workbooks again
        return None
    if list(table.columns) != OUTPUT_COLUMNS[:-1]:
        return None
    out = pd.DataFrame({
        "URN": pd.Series(table["URN"].to_numpy(dtype=object), dtype=object),
        "PLACE_CODES": table["PLACE_CODES"].astype("str"),
        "PROVIDER_CODES": table["PROVIDER_CODES"].astype("str"),
        "REG_END": table["REG_END"].astype("datetime64[us]"),
        "POSTCODE": pd.Series([v if isinstance(v, str) else None for v in table["POSTCODE"].to_numpy(dtype=object)],
                              dtype=object),
    })
    return out


def _write_cached(frame: pd.DataFrame, path: Path) -> None:
    """Write atomically (a concurrent reader sees the old file or the whole new one); a folder that
    cannot be written just means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.close(fd)
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError:
        pass


def default_cache_dir() -> Path:
    """Where read provider lists are kept: the installation's user cache (the lists are public data)."""
    from statreturns.ssda903.postcodes import user_cache_dir

    return user_cache_dir() / "ofsted"


def cached_provider_lists(paths: Iterable[str | Path], directory: PostcodeDirectory | None = None,
                          cache_dir: str | Path | None = None) -> pd.DataFrame:
    """load_provider_lists, with each set of workbooks read once per installation: the read (all but
    PL_LA) is kept in ``cache_dir`` (default ``default_cache_dir()``) under a hash of the files' bytes,
    so a changed file is read again. PL_LA is worked out afresh from ``directory`` every time."""
    paths = [Path(p) for p in paths]
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = folder / f"providers-{_cache_key(paths)}.parquet"
    frame = _read_cached(cached) if cached.exists() else None
    if frame is None:
        frame = _read_lists(paths)
        _write_cached(frame, cached)
    frame["PL_LA"] = _provider_la(frame["POSTCODE"], directory)
    return frame[OUTPUT_COLUMNS]


def _postcodes(values: pd.Series) -> pd.Series:
    text = values.where(values.isna(), values.astype("str"))
    norm = normalise(text)
    fallback = text.astype("str").str.strip().str.upper()
    return norm.where(norm.notna(), fallback.where(text.notna() & (fallback != ""))).astype(object)


def _provider_la(postcodes: pd.Series, directory: PostcodeDirectory | None) -> pd.Series:
    if directory is None:
        return pd.Series([None] * len(postcodes), index=postcodes.index, dtype=object)
    return pd.Series(directory.la_at(directory.positions(postcodes)), index=postcodes.index, dtype=object)
