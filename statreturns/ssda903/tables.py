"""The SSDA903 return as the rules see it: one frame per table, dates parsed once.

Raw frames (as the readers return them) hold stripped strings, ``None`` where a cell is blank, and a
RangeIndex in file order (row = 0-based data row). Table names are the DfE/peer names below; last
year's tables carry the suffix ``_last``. ``build_tables`` parses the date columns once (raw text kept
in ``<col>_raw``), upper-cases code columns, and adds the derived ``Header.UASC`` flag and
``Episodes.EPISODE_ORDER`` (each episode's place in child-then-start order). Placement
derivations (``PL_LA``, ``PL_LOCATION``, ``PL_DISTANCE``) are added by ``postcodes.derive`` when the
postcode directory is available; rules that use them need the pseudo-table ``Postcodes``.
Code columns (``CODE_COLUMNS``: RNE, LS, PLACE, REC, ...) are categoricals with one dtype per column
name across both years (categories in text order), so ``==``, ``isin`` and blank tests run on small
integers; a rule that needs object text (``fillna("")``, concatenation) converts with ``astype(object)``.
Rules read these frames and never write to them; shared derivations go through ``Ssda903Tables.memo``.
``Ssda903Tables.child_codes`` gives every table's CHILD as integer codes (one factorisation over all
tables, worked out while building), for rules that group or match children on integers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from statreturns import dates

T = TypeVar("T")
CHILD = "CHILD"
CHILD_CODES = "tables.child_codes"  # memo key
# Pseudo-table present only when the submitting LA is known: rules whose answer depends on it (PL_LOCATION is
# IN/OUT of that LA) name it in ``needs`` and are skipped with this reason without it, not run to a wrong answer.
SUBMITTING_LA = "SubmittingLA"
NO_LA_REASON = "no submitting LA given: --la"

COLUMNS: dict[str, list[str]] = {
    "Header": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "Episodes": ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
    "Reviews": ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
    "UASC": ["CHILD", "SEX", "DOB", "DUC"],
    "OC2": ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
            "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
            "INTERVENTION_OFFERED"],
    "OC3": ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
    "AD1": ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"],
    "PlacedAdoption": ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
    "PrevPerm": ["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
    "Missing": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
    "SWEpisodes": ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
    "DoLo": ["CHILD", "DOB", "DOLO_START", "DOLO_END"],
}

# The usual file name of each table (matched case-insensitively by the CSV reader).
FILE_NAMES: dict[str, str] = {
    "Header": "header.csv",
    "Episodes": "episodes.csv",
    "Reviews": "reviews.csv",
    "UASC": "uasc.csv",
    "OC2": "oc2.csv",
    "OC3": "oc3.csv",
    "AD1": "ad1.csv",
    "PlacedAdoption": "placed_for_adoption.csv",
    "PrevPerm": "previous_permanence.csv",
    "Missing": "missing.csv",
    "SWEpisodes": "sw_episodes.csv",
    "DoLo": "dolo.csv",
}

DATE_COLUMNS: dict[str, list[str]] = {
    "Header": ["DOB", "MC_DOB"],
    "Episodes": ["DECOM", "DEC"],
    "Reviews": ["DOB", "REVIEW"],
    "UASC": ["DOB", "DUC"],
    "OC2": ["DOB"],
    "OC3": ["DOB"],
    "AD1": ["DOB", "DATE_INT", "DATE_MATCH"],
    "PlacedAdoption": ["DOB", "DATE_PLACED", "DATE_PLACED_CEASED"],
    # DATE_PERM may hold Z's for unknown parts (ZZ day or month, ZZZZ year; ZZ/ZZ/ZZZZ wholly unknown): parsed
    # where it is a full date, raw kept; rule 632 reads the raw text.
    "PrevPerm": ["DOB", "DATE_PERM"],
    "Missing": ["DOB", "MIS_START", "MIS_END"],
    "SWEpisodes": ["DOB", "SW_DECOM", "SW_DEC"],
    "DoLo": ["DOB", "DOLO_START", "DOLO_END"],
}

# Free-text-like columns not upper-cased (postcodes are normalised separately).
_KEEP_CASE = {"CHILD", "HOME_POST", "PL_POST", "SW_ID"}
# In nearly every table of both years: converted once over all tables (see ``_convert_shared``).
SHARED_COLUMNS = ("CHILD", "DOB")
# Code columns (a few distinct values each) are held as categoricals sharing one dtype per column name
# across both years, with categories in text order: comparisons and isin then work on small integers.
CODE_COLUMNS = frozenset({"RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC", "REASON_PLACE_CHANGE", "SEX",
                          "ETHNIC", "MOTHER", "REVIEW_CODE", "SDQ_REASON", "IN_TOUCH", "ACTIV", "ACCOM", "MISSING",
                          "SW_REASON"})


@dataclass
class Ssda903Tables:
    year: int
    frames: dict[str, pd.DataFrame]
    collection_start: pd.Timestamp
    collection_end: pd.Timestamp
    la_code: str | None = None  # the submitting LA's 3-digit DfE number, where known
    absent: dict[str, str] = field(default_factory=dict)  # table -> why it is not there

    memos: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    _memo_frames: list[tuple[str, pd.DataFrame]] = field(default_factory=list, repr=False, compare=False)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A derived frame several rules share, built on first use.

        Each caller gets its own shallow copy of a frame or Series: with pandas' copy-on-write, a rule
        that writes to what it was given copies first, so no rule can change what another sees. Memos
        are dropped whenever a table in ``frames`` is replaced (tests swap tables between checks).
        """
        current = list(self.frames.items())
        if len(current) != len(self._memo_frames) or any(
            a[0] != b[0] or a[1] is not b[1] for a, b in zip(current, self._memo_frames, strict=True)
        ):
            self.memos.clear()
            self._memo_frames = current
        if key not in self.memos:
            self.memos[key] = build()
        return _read_only(self.memos[key])  # type: ignore[return-value]

    def child_codes(self) -> dict[str, np.ndarray]:
        """``child_codes(self.frames)``, shared by all rules (and dropped with the memos)."""
        return self.memo(CHILD_CODES, lambda: child_codes(self.frames))

    def has(self, name: str) -> bool:
        return name in self.frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)


def _read_only(value: T) -> T:
    if isinstance(value, (pd.Series, pd.DataFrame)):
        return value.copy(deep=False)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_read_only(v) for v in value)  # type: ignore[return-value]
    return value


def prepare(name: str, frame: pd.DataFrame, converted: dict[str, list[pd.Series]] | None = None) -> pd.DataFrame:
    """One table: all expected columns present, codes upper-cased, dates parsed (raw kept).

    ``converted`` holds columns already converted (as ``per_value`` does; see ``_convert_shared``).
    """
    base = name.removesuffix("_last")
    frame = frame.reset_index(drop=True)  # a new frame: copy-on-write keeps the caller's untouched
    for col in COLUMNS[base]:
        if col not in frame.columns:
            frame[col] = None
    date_columns = DATE_COLUMNS.get(base, [])
    converted = converted or {}
    for col in frame.columns:
        if col in date_columns or frame[col].dtype != object:
            continue
        if col in converted:
            (frame[col],) = converted[col]
            continue
        if col in CODE_COLUMNS:
            frame[col] = _codes(frame[col])
            continue
        upper = col not in _KEEP_CASE
        (frame[col],) = per_value(frame[col], lambda s, upper=upper: dates.text(s, upper=upper))
    for col in date_columns:
        # As dates.parse_columns (raw text kept as <col>_raw), once per distinct value: dates repeat.
        if col in converted:
            frame[f"{col}_raw"], frame[col] = converted[col]
            continue
        if col not in frame.columns:
            frame[col] = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        frame[f"{col}_raw"], frame[col] = per_value(frame[col], dates.text, lambda s: dates.parse(s, dates.UK))
    return frame


def per_value(s: pd.Series, *converts: Callable[[pd.Series], pd.Series]) -> list[pd.Series]:
    """``convert(s)`` for each element-wise ``convert``, computed once per distinct string of ``s``.

    Codes, ids and dates repeat across rows, and the string work per row is the cost of building
    tables. Columns that are not all strings (blanks aside) are converted whole, so that values which
    hash alike but print differently (1, 1.0, True) stay apart.
    """
    split = _distinct(s)
    if split is None:
        return [convert(s) for convert in converts]
    codes, distinct = split
    return [convert(distinct.rename(s.name)).iloc[codes].set_axis(s.index) for convert in converts]


def _distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """Each row's position in the distinct values of ``s``, and those values plus a last slot for
    blanks (so a blank is converted like any other missing value); None unless all are strings."""
    if s.dtype != object:
        return None
    codes, uniques = pd.factorize(s)
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        return None
    codes[codes < 0] = len(uniques)
    return codes, pd.Series(np.append(np.asarray(uniques, dtype=object), None), dtype=object)


def _convert_shared(
    raw: dict[str, pd.DataFrame],
) -> tuple[dict[str, dict[str, list[pd.Series]]], dict[str, np.ndarray] | None]:
    """CHILD and DOB of every table (both years) converted as ``prepare`` would, over their distinct
    values taken all together: the same ids and birth dates recur in nearly every table.

    Table name -> column -> the converted Series (raw text and date for DOB), indexed by row position.
    A table whose DOB has no valid date is left to ``prepare``, whose parse then picks the dtype.
    Also, from the same factorisation, each table's child codes (see ``child_codes``), or None when
    the ids are not all strings.
    """
    out: dict[str, dict[str, list[pd.Series]]] = {name: {} for name in raw}
    codes_by_table = None
    for col in SHARED_COLUMNS:
        names = [n for n, f in raw.items() if col in f.columns and f[col].dtype == object]
        if not names:
            continue
        columns = [raw[n][col].reset_index(drop=True) for n in names]
        is_date = col in DATE_COLUMNS["Header"]
        if is_date:
            converts = (dates.text, lambda s: dates.parse(s, dates.UK))
        else:
            upper = col not in _KEEP_CASE
            converts = (lambda s, upper=upper: dates.text(s, upper=upper),)
        whole_column = pd.concat(columns, ignore_index=True)
        split = _distinct(whole_column) if col == CHILD else None
        if split is None:
            whole = per_value(whole_column, *converts)
        else:
            row_codes, distinct = split
            (text,) = (convert(distinct.rename(col)) for convert in converts)
            whole = [text.iloc[row_codes].set_axis(whole_column.index)]
            ids = pd.factorize(text)[0][row_codes]  # codes of the converted ids: -1 where blank
            ids.setflags(write=False)
            codes_by_table = dict(zip(names, np.split(ids, np.cumsum([len(c) for c in columns])[:-1]), strict=True))
        bounds = np.cumsum([0, *(len(c) for c in columns)])
        for name, c, a, b in zip(names, columns, bounds[:-1], bounds[1:], strict=True):
            parts = [part.iloc[a:b].set_axis(c.index) for part in whole]
            if is_date and not parts[1].notna().any():
                continue
            out[name][col] = parts
    return out, codes_by_table


def _convert_batched(
    raw: dict[str, pd.DataFrame], done: dict[str, dict[str, list[pd.Series]]],
) -> dict[str, dict[str, list[pd.Series]]]:
    """Every other text, code and date column of every table (both years) converted as ``prepare``
    would, each kind of conversion run once over the distinct values of all its columns together:
    codes, flags and dates recur across columns and tables, and each conversion call has a fixed cost
    that, paid per column, was most of the time of building tables.

    Columns that are not all strings (blanks aside), and date columns with no valid date (whose parse
    gives another dtype), are left to ``prepare``. Adds to and returns ``done`` (see ``_convert_shared``).
    """
    jobs: dict[str, list[tuple[str, str, np.ndarray, pd.Series]]] = {"upper": [], "keep": [], "date": []}
    for name, frame in raw.items():
        date_columns = DATE_COLUMNS.get(name.removesuffix("_last"), [])
        for col in frame.columns:
            if col in done[name] or (col not in date_columns and frame[col].dtype != object):
                continue
            split = _distinct(frame[col])
            if split is None:
                continue
            kind = "date" if col in date_columns else "keep" if col in _KEEP_CASE else "upper"
            jobs[kind].append((name, col, *split))
    for kind, columns in jobs.items():
        if not columns:
            continue
        split = _distinct(pd.concat([distinct for *_, distinct in columns], ignore_index=True))
        assert split is not None  # strings and blanks only, as each part is
        union_codes, union = split
        if kind == "date":
            converted = [dates.text(union), dates.parse(union, dates.UK)]
        else:
            converted = [dates.text(union, upper=kind == "upper")]
        bounds = np.cumsum([0, *(len(distinct) for *_, distinct in columns)])
        for (name, col, codes, _), a, b in zip(columns, bounds[:-1], bounds[1:], strict=True):
            index = pd.RangeIndex(len(codes))  # prepare's frame: index reset
            if kind == "date":
                raw_text, parsed = (part.iloc[union_codes[a:b][codes]].set_axis(index) for part in converted)
                if parsed.notna().any():
                    done[name][col] = [raw_text, parsed]
            elif col in CODE_COLUMNS:
                done[name][col] = [_categorical(converted[0].to_numpy()[union_codes[a:b]], codes, index)]
            else:
                done[name][col] = [converted[0].iloc[union_codes[a:b][codes]].set_axis(index)]
    return done


def _categorical(text: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Rows' ``codes`` into the distinct values' upper-cased ``text`` (blank: None) as a categorical
    with the categories in text order."""
    categories = sorted({v for v in text if v is not None})
    position = pd.Index(categories, dtype=object).get_indexer(text)  # -1 where blank
    values = pd.Categorical.from_codes(position[codes], dtype=pd.CategoricalDtype(categories))
    return pd.Series(values, index=index)


def child_codes(frames: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Every table's CHILD as integer codes from one factorisation over all tables (-1 where blank).

    Arrays are read-only. Codes only tell ids apart: their values carry no order.
    """
    names = [name for name, frame in frames.items() if CHILD in frame.columns]
    if not names:
        return {}
    columns = [frames[name][CHILD].to_numpy(dtype=object) for name in names]
    ids = np.concatenate(columns)
    try:  # Arrow hashes strings about twice as fast as pandas' object hash table
        encoded = pc.dictionary_encode(pa.array(ids, type=pa.string(), from_pandas=True))
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        codes, _ = pd.factorize(ids)
    codes.setflags(write=False)
    return dict(zip(names, np.split(codes, np.cumsum([len(c) for c in columns])[:-1]), strict=True))


def _codes(s: pd.Series) -> pd.Series:
    """``dates.text(s, upper=True)`` as a categorical (categories in text order, blank as missing)."""
    codes, uniques = pd.factorize(s)
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        text = dates.text(s, upper=True)
        return text.astype(pd.CategoricalDtype(sorted(text.dropna().unique())))
    text = dates.text(pd.Series(uniques, dtype=object), upper=True).to_numpy()
    categories = sorted({v for v in text if v is not None})
    # Category of each distinct value; -1 where it is blank, and in the last slot, for blank cells.
    position = np.append(pd.Index(categories, dtype=object).get_indexer(text), -1)
    values = pd.Categorical.from_codes(position[codes], dtype=pd.CategoricalDtype(categories))
    return pd.Series(values, index=s.index, name=s.name)


def _share_code_dtypes(frames: dict[str, pd.DataFrame]) -> None:
    """One categorical dtype per code column name across all tables, so columns compare directly.

    As ``cat.set_categories`` with the union of the categories, by recoding the small integer codes
    (``set_categories`` hashes every value again, for each column of each table).
    """
    for col in CODE_COLUMNS:
        holding = [f for f in frames.values() if col in f.columns and isinstance(f[col].dtype, pd.CategoricalDtype)]
        dtype = pd.CategoricalDtype(sorted(set().union(*(f[col].cat.categories for f in holding))))
        for f in holding:
            values = f[col].array
            moved = np.append(dtype.categories.get_indexer(values.categories), -1)  # -1 (blank) stays -1
            f[col] = pd.Series(pd.Categorical.from_codes(moved[values.codes], dtype=dtype), index=f.index,
                               name=col)


def episode_order(ep: pd.DataFrame) -> pd.Series:
    """Each episode's place in (CHILD, DECOM, file order): sorted once here so rules sort on an integer.

    Rows without a CHILD or a valid DECOM get no place (<NA>).
    """
    known = ep["CHILD"].notna() & ep["DECOM"].notna()
    part = ep.loc[known, ["CHILD", "DECOM"]]
    # Sorted on integers: the ids' codes in id order (sort=True sorts the distinct ids as sort_values
    # would), then DECOM, then file order (lexsort is stable).
    child, _ = pd.factorize(part["CHILD"], sort=True)
    ranked = part.index[np.lexsort((part["DECOM"].to_numpy(), child))]
    order = pd.Series(pd.NA, index=ep.index, dtype="Int64")
    order[ranked] = np.arange(len(ranked))
    return order


def build_tables(
    raw: dict[str, pd.DataFrame],
    year: int,
    *,
    la_code: str | None = None,
    previous: dict[str, pd.DataFrame] | None = None,
    extra_frames: dict[str, pd.DataFrame] | None = None,
) -> Ssda903Tables:
    """Build the frames every rule shares. Tables absent from the input are absent here, with a reason."""
    frames: dict[str, pd.DataFrame] = {}
    absent: dict[str, str] = {}
    given = {name: raw[name] for name in COLUMNS if name in raw}
    given |= {f"{name}_last": (previous or {})[name] for name in COLUMNS if name in (previous or {})}
    shared, codes = _convert_shared(given)
    shared = _convert_batched(given, shared)
    for name in COLUMNS:
        if name in raw:
            frames[name] = prepare(name, raw[name], shared[name])
        else:
            absent[name] = f"no {FILE_NAMES[name]} supplied"
        last = f"{name}_last"
        if previous is not None and name in previous:
            frames[last] = prepare(last, previous[name], shared[last])
        else:
            absent[last] = "no previous year's return given (--previous)"
    _share_code_dtypes(frames)
    for name in ("Episodes", "Episodes_last"):
        if name in frames:
            frames[name]["EPISODE_ORDER"] = episode_order(frames[name])
    if "Header" in frames and frames["Header"].get("UASC", pd.Series(dtype="object")).isna().all():
        # CSV input has no UASC flag: derive it from uasc.csv. The XML form carries its own, kept as given.
        uasc_children = set(frames["UASC"]["CHILD"].dropna()) if "UASC" in frames else set()
        frames["Header"]["UASC"] = dates.text(frames["Header"]["CHILD"].isin(uasc_children).map({True: "1",
                                                                                                  False: "0"}))
    if la_code is not None and str(la_code).strip():
        frames[SUBMITTING_LA] = pd.DataFrame({"la_code": [str(la_code).strip()]}, dtype=object)
    else:
        absent[SUBMITTING_LA] = NO_LA_REASON
    absent.setdefault("Postcodes", "postcode directory not loaded")
    absent.setdefault("OfstedProviderLists", "no Ofsted provider lists given")
    for name, frame in (extra_frames or {}).items():
        frames[name] = frame
        absent.pop(name, None)
    tables = Ssda903Tables(
        year=year,
        frames=frames,
        collection_start=pd.Timestamp(year=year - 1, month=4, day=1),
        collection_end=pd.Timestamp(year=year, month=3, day=31),
        la_code=la_code,
        absent=absent,
    )
    if codes is not None and set(codes) == {n for n, f in frames.items() if CHILD in f.columns}:
        tables.memo(CHILD_CODES, lambda: codes)  # worked out with the ids already: no second hashing
    return tables
