"""Canonical tables -> the SSDA903 raw tables for one collection year (what the CSV writer takes).

Scope (DfE guide): every child looked after at any time in the year, with the episodes that were open
in it; reviews and missing periods in the year; OC2 for children looked after continuously for twelve
months at 31 March; OC3 for care leavers with a 17th to 21st birthday in the year (looked after in it or not: see
``care_leavers``); AD1 for children
adopted in the year; PlacedAdoption for decisions in force at some time in the year (``in_force_in_year``);
previous permanence for children who started to be looked after in the year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from statreturns.ssda903.tables import COLUMNS

SEX_TO_2024 = {"M": "1", "F": "2"}  # the 903 took 1/2 until 2023-24


def _uk(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%d/%m/%Y").astype("object").where(s.notna(), None)


def _within(frame: pd.DataFrame, start_col: str, end_col: str | None, start: pd.Timestamp,
            end: pd.Timestamp) -> pd.Series:
    began = frame[start_col] <= end
    if end_col is None:
        return began & (frame[start_col] >= start)
    return began & (frame[end_col].isna() | (frame[end_col] >= start))


def as_at(tables: dict[str, pd.DataFrame], end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The looked-after history as it stood on ``end``: what started later is dropped and what ended later
    is still open (its end, and the reasons given when it ended, blank). A council's system holds this
    year's events when last year's return is built from it."""
    out = dict(tables)

    def cut(name: str, start_col: str, end_col: str | None, also: list[str]) -> None:
        frame = tables[name]
        frame = frame.loc[~(frame[start_col] > end).to_numpy()].copy()
        if end_col is not None:
            later = (frame[end_col] > end).to_numpy()
            if later.any():
                frame.loc[later, [end_col, *also]] = None
        out[name] = frame

    cut("la_episodes", "DECOM", "DEC", ["REC", "REASON_PLACE_CHANGE"])
    cut("missing", "MIS_START", "MIS_END", [])
    cut("sw_episodes", "SW_DECOM", "SW_DEC", [])
    cut("placed_for_adoption", "DATE_PLACED", "DATE_PLACED_CEASED", ["REASON_PLACED_CEASED"])
    children = tables["children"]
    later_birth = (children["MC_DOB"] > end).to_numpy()
    if later_birth.any():
        children = children.copy()
        children.loc[later_birth, "MC_DOB"] = None
        children.loc[later_birth, "MOTHER"] = "0"
        out["children"] = children
    return out


def in_force_in_year(decisions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """The decisions to place for adoption a year's PlacedAdoption returns: made by its end and not reversed
    before it began. One reversed in an earlier year was returned that year and is not returned again (rule
    118: no reversal dated before the year; 561 and 584 compare this year's decisions with last year's)."""
    return (decisions["DATE_PLACED"] <= end) & ~(decisions["DATE_PLACED_CEASED"] < start)


def continuously_looked_after(eps: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> set:
    """Children looked after for the whole year to ``end`` (the DfE's OC2 cohort, lac_notes section 6):
    an episode in the year, none starting care after 1 April, ending care in the year or a short break."""
    overlap = (eps["DECOM"] <= end) & (eps["DEC"].isna() | (eps["DEC"] >= start))
    breaks = ((eps["RNE"] == "S") & (eps["DECOM"] > start)) | (
        eps["DEC"].between(start, end) & (eps["REC"] != "X1")) | eps["LS"].isin(["V3", "V4"])
    return set(eps.loc[overlap, "child_id"]) - set(eps.loc[overlap & breaks, "child_id"])


SHORT_BREAKS = ("V3", "V4")
RELEVANT_DAYS = 91  # 13 weeks


def _nights_after(history: pd.DataFrame, since: pd.Series, end: pd.Timestamp) -> pd.Series:
    """Nights in care per child after ``since`` (per child), short breaks left out, open episodes to ``end``."""
    care = history.loc[~history["LS"].isin(SHORT_BREAKS)]
    from_ = care["child_id"].map(since)
    begin = care["DECOM"].where(care["DECOM"] >= from_, from_)
    nights = (care["DEC"].fillna(end) - begin).dt.days.clip(lower=0)
    return nights.groupby(care["child_id"]).sum()


def care_leavers(history: pd.DataFrame, children: pd.DataFrame, end: pd.Timestamp) -> set:
    """OC3's cohort for the year ending ``end``: young people with a 17th to 21st birthday in the year whose
    care ended before that birthday and who are care leavers, judged on the whole looked-after ``history``
    as it stood on ``end`` (``as_at``), whether or not they were looked after in the year.

    Not looked after on the birthday (1007): no episode open on ``end`` and the latest end of care before
    the birthday; one leaving care on the birthday is returned a year later (1016).

    A care leaver, as the DfE reads the Children (Leaving Care) Act 2000 (a "relevant" or "former relevant"
    child): looked after for at least 13 weeks in total after the 14th birthday, some of that time after
    the 16th birthday. Readings taken where the text leaves it open, the same as rule 1001's: time is
    counted in nights (DEC - DECOM; an open episode to ``end``), so 13 weeks is 91 nights (90 is not
    enough); "after the 16th birthday" is at least one night after it, so care ending on the 16th birthday
    is not; short breaks (LS V3, V4) do not count. How care ended (adopted, died) is not judged here: the
    extract's OC3 record is returned and rules 1000 and 1001 report one that should not be there.
    """
    dob = children.set_index("child_id")["PersonBirthDate"].dropna()
    dob = dob.loc[~dob.index.duplicated()]
    age = end.year - dob.dt.year - ((dob.dt.month > end.month) | ((dob.dt.month == end.month)
                                                                 & (dob.dt.day > end.day)))
    dob, age = dob.loc[age.between(17, 21)], age.loc[age.between(17, 21)]
    history = history.loc[history["child_id"].isin(dob.index)]
    if history.empty:
        return set()
    still = set(history.loc[history["DEC"].isna(), "child_id"])
    left = history.loc[history["DEC"].notna()].groupby("child_id")["DEC"].max()
    left = left.loc[~left.index.isin(still)]
    birthday = pd.Series(_plus_years(dob.to_numpy(dtype="datetime64[ns]"), age.to_numpy(dtype="int64")),
                         index=dob.index)
    ended_before = left.index[(left < birthday.reindex(left.index)).to_numpy()]
    after_14 = _nights_after(history, dob + pd.DateOffset(years=14), end)
    after_16 = _nights_after(history, dob + pd.DateOffset(years=16), end)
    relevant = after_14.index[((after_14 >= RELEVANT_DAYS) & (after_16.reindex(after_14.index) >= 1)).to_numpy()]
    return set(ended_before.intersection(relevant))


def _plus_years(dates: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``date + pd.DateOffset(years=n)`` for each pair, without a Python loop: the same day and month
    ``n`` years on, 29 February becoming 28 February where that year has none; the time of day kept."""
    month = dates.astype("datetime64[M]")
    target = month + (12 * years).astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    days_in_month = ((target + 1).astype("datetime64[D]") - first).astype("int64")
    day = (dates.astype("datetime64[D]") - month.astype("datetime64[D]")).astype("int64")  # from 0
    return (first + np.minimum(day, days_in_month - 1)).astype("datetime64[ns]") + (dates - dates.astype("datetime64[D]"))


def build_903_frames(tables: dict[str, pd.DataFrame], year: int) -> dict[str, pd.DataFrame]:
    start = pd.Timestamp(year=year - 1, month=4, day=1)
    end = pd.Timestamp(year=year, month=3, day=31)
    tables = as_at(tables, end)
    history = tables["la_episodes"]
    eps = history.loc[_within(history, "DECOM", "DEC", start, end).to_numpy()]
    eps = eps.sort_values(["child_id", "DECOM"], kind="stable")
    in_care = set(eps["child_id"])
    children = tables["children"]
    # Care leavers of the year with an OC3 record: a Header row (and no episodes when not looked after in
    # the year) for each.
    leavers = care_leavers(history, children, end) & set(tables["oc3"]["child_id"])
    kids = children.loc[children["child_id"].isin(in_care | leavers)].sort_values("child_id", kind="stable")
    dob = kids.set_index("child_id")["PersonBirthDate"]
    out: dict[str, pd.DataFrame] = {}
    unknown = kids["UPNunknown"].where(kids["UPNunknown"].isin(["UN1", "UN2", "UN3", "UN4", "UN5"]))
    out["Header"] = pd.DataFrame({
        "CHILD": kids["child_id"], "SEX": kids["Sex"] if year >= 2025 else kids["Sex"].map(SEX_TO_2024),
        "DOB": _uk(kids["PersonBirthDate"]), "ETHNIC": kids["Ethnicity"], "UPN": kids["UPN"].fillna(unknown),
        "MOTHER": kids["MOTHER"].where(kids["Sex"] == "F"), "MC_DOB": _uk(kids["MC_DOB"]),
    })
    # Motherhood is not asked of a care leaver not looked after in the year (rule 628): left blank.
    out["Header"].loc[~kids["child_id"].isin(in_care).to_numpy(), ["MOTHER", "MC_DOB"]] = None
    out["Episodes"] = eps.rename(columns={"child_id": "CHILD"}).assign(DECOM=_uk(eps["DECOM"]), DEC=_uk(eps["DEC"]))
    if year < 2026:  # Z1 ("other placement") was split into Z11-Z14 from 2025-26
        out["Episodes"]["PLACE"] = out["Episodes"]["PLACE"].replace({z: "Z1" for z in ("Z11", "Z12", "Z13", "Z14")})

    def per_child(name: str, date_cols: list[str], keep, who: set = in_care) -> pd.DataFrame:
        """``name``'s rows of the children ``who`` (by default those looked after in the year); so a care
        leaver not looked after in the year has no UASC row either (UASC is not asked of them, 1014)."""
        frame = tables[name]
        frame = frame.loc[keep(frame).to_numpy() & frame["child_id"].isin(who).to_numpy()]
        # reindex, not map: map on an empty frame gives float64 and the DOB dtype is lost (issue #17)
        frame = frame.assign(DOB=_uk(pd.Series(dob.reindex(frame["child_id"]).to_numpy(), index=frame.index)))
        for col in date_cols:
            frame[col] = _uk(frame[col])
        return frame.rename(columns={"child_id": "CHILD"}).sort_values("CHILD", kind="stable")

    out["Reviews"] = per_child("la_reviews", ["REVIEW"], lambda f: f["REVIEW"].between(start, end))
    out["Missing"] = per_child("missing", ["MIS_START", "MIS_END"], lambda f: _within(f, "MIS_START", "MIS_END",
                                                                                       start, end))
    out["UASC"] = per_child("uasc", ["DUC"], lambda f: f["child_id"].notna())
    out["UASC"]["SEX"] = out["UASC"]["CHILD"].map(out["Header"].set_index("CHILD")["SEX"])
    cla = continuously_looked_after(eps, start, end)
    out["OC2"] = per_child("oc2", [], lambda f: f["child_id"].isin(cla))
    # Items the DfE asks only from an age stay blank before it, in any year's return (188, 189, 542, 546).
    oc2_dob = pd.Series(dob.reindex(out["OC2"]["CHILD"]).to_numpy(), index=out["OC2"].index)  # reindex: see per_child
    under = lambda years: (oc2_dob + pd.DateOffset(years=years) > end).to_numpy()  # noqa: E731
    out["OC2"].loc[under(4), ["SDQ_SCORE", "SDQ_REASON"]] = None
    seventeen_at_start = (oc2_dob + pd.DateOffset(years=17) <= start).to_numpy()  # SDQ is for 4 to 16 (189)
    out["OC2"].loc[seventeen_at_start, ["SDQ_SCORE", "SDQ_REASON"]] = None
    out["OC2"].loc[under(10), "CONVICTED"] = None
    out["OC2"].loc[~under(5), "HEALTH_CHECK"] = None  # health promotion is for the under-fives (546)
    out["OC3"] = per_child("oc3", [], lambda f: f["child_id"].notna(), leavers)
    out["AD1"] = per_child("ad1", ["DATE_INT", "DATE_MATCH"], lambda f: f["adoption_order_date"].between(start, end))
    out["PlacedAdoption"] = per_child("placed_for_adoption", ["DATE_PLACED", "DATE_PLACED_CEASED"],
                                      lambda f: in_force_in_year(f, start, end))
    starters = set(eps.loc[(eps["RNE"] == "S") & (eps["DECOM"] >= start), "child_id"])
    out["PrevPerm"] = per_child("previous_permanence", [], lambda f: f["child_id"].isin(starters))
    out["SWEpisodes"] = per_child("sw_episodes", ["SW_DECOM", "SW_DEC"], lambda f: _within(f, "SW_DECOM", "SW_DEC",
                                                                                           start, end))
    if year >= 2027:
        out["DoLo"] = per_child("dolo", ["DOLO_START", "DOLO_END"], lambda f: _within(f, "DOLO_START", "DOLO_END",
                                                                                      start, end))
    return {name: frame.reindex(columns=COLUMNS[name]).reset_index(drop=True).astype("object")
            .where(lambda f: f.notna(), None) for name, frame in out.items()}
