"""The SSDA903 return as the rules see it: one frame per table, dates parsed once.

Raw frames (as the readers return them) hold stripped strings, ``None`` where a cell is blank, and a
RangeIndex in file order (row = 0-based data row). Table names are the DfE/peer names below; last
year's tables carry the suffix ``_last``. ``build_tables`` parses the date columns once (raw text kept
in ``<col>_raw``), upper-cases code columns, and adds the derived ``Header.UASC`` flag and
``Episodes.EPISODE_ORDER`` (each episode's place in child-then-start order). Placement
derivations (``PL_LA``, ``PL_LOCATION``, ``PL_DISTANCE``) are added by ``postcodes.derive`` when the
postcode directory is available; rules that use them need the pseudo-table ``Postcodes``.
Rules read these frames and never write to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from statreturns import dates

T = TypeVar("T")
CHILD = "CHILD"

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
    # DATE_PERM may hold ZZ for an unknown day or month: parsed where it is a full date, raw kept.
    "PrevPerm": ["DOB", "DATE_PERM"],
    "Missing": ["DOB", "MIS_START", "MIS_END"],
    "SWEpisodes": ["DOB", "SW_DECOM", "SW_DEC"],
    "DoLo": ["DOB", "DOLO_START", "DOLO_END"],
}

# Free-text-like columns not upper-cased (postcodes are normalised separately).
_KEEP_CASE = {"CHILD", "HOME_POST", "PL_POST", "SW_ID"}


@dataclass
class Ssda903Tables:
    year: int
    frames: dict[str, pd.DataFrame]
    collection_start: pd.Timestamp
    collection_end: pd.Timestamp
    la_code: str | None = None  # the submitting LA's 3-digit DfE number, where known
    absent: dict[str, str] = field(default_factory=dict)  # table -> why it is not there

    memos: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A derived frame several rules share, built on first use (rules never write to it)."""
        if key not in self.memos:
            self.memos[key] = build()
        return self.memos[key]  # type: ignore[return-value]

    def has(self, name: str) -> bool:
        return name in self.frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)


def prepare(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One table: all expected columns present, codes upper-cased, dates parsed (raw kept)."""
    base = name.removesuffix("_last")
    frame = frame.reset_index(drop=True).copy()
    for col in COLUMNS[base]:
        if col not in frame.columns:
            frame[col] = None
    date_columns = DATE_COLUMNS.get(base, [])
    for col in frame.columns:
        if col in date_columns or frame[col].dtype != object:
            continue
        frame[col] = dates.text(frame[col], upper=col not in _KEEP_CASE)
    return dates.parse_columns(frame, date_columns, dates.UK)


def episode_order(ep: pd.DataFrame) -> pd.Series:
    """Each episode's place in (CHILD, DECOM, file order): sorted once here so rules sort on an integer.

    Rows without a CHILD or a valid DECOM get no place (<NA>).
    """
    known = ep["CHILD"].notna() & ep["DECOM"].notna()
    part = ep.loc[known, ["CHILD", "DECOM"]].assign(_pos=np.arange(int(known.sum())))
    ranked = part.sort_values(["CHILD", "DECOM", "_pos"], kind="stable").index
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
    for name in COLUMNS:
        if name in raw:
            frames[name] = prepare(name, raw[name])
        else:
            absent[name] = f"no {FILE_NAMES[name]} supplied"
        last = f"{name}_last"
        if previous is not None and name in previous:
            frames[last] = prepare(last, previous[name])
        else:
            absent[last] = "no previous year's return given (--previous)"
    for name in ("Episodes", "Episodes_last"):
        if name in frames:
            frames[name]["EPISODE_ORDER"] = episode_order(frames[name])
    if "Header" in frames and frames["Header"].get("UASC", pd.Series(dtype="object")).isna().all():
        # CSV input has no UASC flag: derive it from uasc.csv. The XML form carries its own, kept as given.
        uasc_children = set(frames["UASC"]["CHILD"].dropna()) if "UASC" in frames else set()
        frames["Header"]["UASC"] = dates.text(frames["Header"]["CHILD"].isin(uasc_children).map({True: "1",
                                                                                                  False: "0"}))
    absent.setdefault("Postcodes", "postcode directory not loaded")
    absent.setdefault("OfstedProviderLists", "no Ofsted provider lists given")
    for name, frame in (extra_frames or {}).items():
        frames[name] = frame
        absent.pop(name, None)
    return Ssda903Tables(
        year=year,
        frames=frames,
        collection_start=pd.Timestamp(year=year - 1, month=4, day=1),
        collection_end=pd.Timestamp(year=year, month=3, day=31),
        la_code=la_code,
        absent=absent,
    )
