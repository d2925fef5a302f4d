"""SSDA903 rules on the Header, UASC, Reviews and Missing tables (and last year's Header, UASC, Missing).

Rules are in code order. Where a rule spans several tables, the engine reports one of them; the table
chosen is the one holding the value the rule asks the LA to correct, or the child's Header row when the
problem is the child as a whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.rules.ssda903.base import (
    ALL_YEARS,
    SHORT_BREAKS,
    birthday,
    by_child,
    child_codes,
    child_in,
    code_pairs,
    header_value,
    ids,
    present,
    present_in,
    rule,
    shared,
)
from statreturns import dates
from statreturns.reference import code_list

SEX_CODES = code_list("ssda903", "sex")
LEGACY_SEX = {"1": "M", "2": "F"}  # pre-2024/25 codes, e.g. in last year's 2023/24 return
ETHNIC_CODES = code_list("common", "ethnicity")
REVIEW_CODES = code_list("ssda903", "review_code")
UPN_UNKNOWN = code_list("ssda903", "upn_unknown")
UPN_PATTERN = r"^[A-HJ-NP-RT-Z](?:\d{12}|\d{11}[A-Z])$"  # first letter not I, O or S
MISSING_CODES = code_list("ssda903", "missing")
FAR_FUTURE = pd.Timestamp("2999-12-31")


# --- small helpers -------------------------------------------------------------------------------


def first_by_child(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` of each child's first row, indexed by CHILD."""
    f = frame.loc[frame["CHILD"].notna()].drop_duplicates("CHILD")
    return f.set_index("CHILD")[column]


@shared
def children_of(t, name: str) -> pd.Index:
    """The child ids in table ``name``, or none if the table was not supplied."""
    if not t.has(name):
        return pd.Index([])
    return ids(t[name]["CHILD"].dropna().unique())


def table_codes(t, name: str, frame: pd.DataFrame) -> np.ndarray:
    """The integer child codes (see ``child_codes``) of ``frame``'s rows, which are rows of ``t[name]``."""
    return child_codes(t)[name][t[name].index.get_indexer(frame.index)]


def pairs(
    left: pd.DataFrame,
    lcols: list[str],
    right: pd.DataFrame,
    rcols: list[str],
    codes: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Every (left row, right row) pair of the same child; ``_row`` is the left row's label.

    With ``codes`` (each side's integer child codes, aligned to its rows; see ``table_codes``) the
    sides are matched on those rather than on the id strings: the same pairs, in the same order.
    """
    if codes is not None and not {"CHILD", "_row", *lcols} & set(rcols):
        li, ri = code_pairs(*codes)
        out = {c: left[c].iloc[li].reset_index(drop=True) for c in ["CHILD", *lcols]}
        out["_row"] = pd.Series(left.index[li])
        out |= {c: right[c].iloc[ri].reset_index(drop=True) for c in rcols}
        return pd.DataFrame(out)
    if codes is not None:
        lkeep, rkeep = codes[0] >= 0, codes[1] >= 0  # -1: no CHILD, which matches nothing
        lhs = left.loc[lkeep, ["CHILD", *lcols]].assign(_row=left.index[lkeep], _code=codes[0][lkeep])
        rhs = right.loc[rkeep, rcols].assign(_code=codes[1][rkeep])
        return lhs.merge(rhs, on="_code", how="inner").drop(columns="_code")
    lhs = left.loc[left["CHILD"].notna(), ["CHILD", *lcols]].assign(
        _row=left.loc[left["CHILD"].notna()].index
    )
    rhs = right.loc[right["CHILD"].notna(), ["CHILD", *rcols]]
    return lhs.merge(rhs, on="CHILD", how="inner")


@shared
def _episode_care_periods(t) -> pd.DataFrame:
    """``care_periods`` of this year's Episodes, with each period's integer child code in ``_code``."""
    return care_periods(t.Episodes, child_codes(t)["Episodes"])


def rows_where(p: pd.DataFrame, mask: pd.Series) -> pd.Index:
    return pd.Index(p.loc[mask, "_row"].unique())


def care_periods(ep: pd.DataFrame, codes: np.ndarray | None = None) -> pd.DataFrame:
    """Periods of care: runs of contiguous episodes per child, as CHILD, START, END (NaT while open).

    An episode continues the period when it starts on or before the day the previous one ended, or the
    previous one is still open (an episode with an unparseable DEC counts as open). With ``codes`` (the
    episodes' integer child codes, see ``child_codes``), column ``_code`` holds each period's.
    """
    keep = ep["DECOM"].notna() & ep["CHILD"].notna()
    e = ep.loc[keep, ["CHILD", "DECOM", "DEC"]]
    if "EPISODE_ORDER" in ep.columns:  # built tables: that order, as integers, ranks exactly these rows
        order = np.argsort(ep.loc[e.index, "EPISODE_ORDER"].to_numpy(dtype="int64"), kind="stable")
    else:
        order = e.reset_index(drop=True).sort_values(["CHILD", "DECOM"], kind="stable").index.to_numpy()
    e = e.iloc[order]
    if codes is not None:
        codes = codes[keep.to_numpy()][order]
    if e.empty or not (isinstance(e["DECOM"].dtype, np.dtype) and e["DECOM"].dtype == e["DEC"].dtype):
        return _care_periods_grouped(e, codes)
    # Each child's episodes are contiguous: a period starts at a child's first episode, or where the
    # previous episode ended (DEC given) before this one started.
    child = e["CHILD"].to_numpy(dtype=object)
    decom, dec = e["DECOM"].to_numpy(), e["DEC"].to_numpy()
    continues = np.zeros(len(e), dtype=bool)
    continues[1:] = (child[1:] == child[:-1]) & (np.isnat(dec[:-1]) | (decom[1:] <= dec[:-1]))
    starts = np.flatnonzero(~continues)
    out = pd.DataFrame({
        "CHILD": pd.Series(child[starts], dtype=object),
        "START": np.minimum.reduceat(decom, starts),
        "END": np.maximum.reduceat(dec, starts),  # NaT (still open) where any DEC of the period is NaT
    })
    if codes is not None:
        out["_code"] = codes[starts]
    return out


def _care_periods_grouped(e: pd.DataFrame, codes: np.ndarray | None) -> pd.DataFrame:
    """``care_periods`` of episodes ``e`` in order, grouped by pandas (any dtypes, no rows)."""
    prev_dec = e.groupby("CHILD", sort=False)["DEC"].shift()
    same_child = e["CHILD"].eq(e["CHILD"].shift())
    continues = same_child & (prev_dec.isna() | (e["DECOM"] <= prev_dec))
    period = (~continues).cumsum()
    grouped = e.assign(_open=e["DEC"].isna()).groupby(period)
    out = grouped.agg(
        CHILD=("CHILD", "first"), START=("DECOM", "min"), END=("DEC", "max"), _open=("_open", "max")
    )
    out["END"] = out["END"].where(~out["_open"])
    out = out.drop(columns="_open").reset_index(drop=True)
    if codes is not None:
        out["_code"] = pd.Series(codes).groupby(period.to_numpy()).first().to_numpy(dtype="int64")
    return out


# --- rules ---------------------------------------------------------------------------------------


@rule(
    "101",
    "error",
    table="Header",
    fields=["SEX"],
    years=ALL_YEARS,
    message="The child or young person’s reported sex is not valid.",
)
def sex_not_valid(t) -> pd.Series:
    return ~t.Header["SEX"].isin(SEX_CODES)


@rule(
    "102",
    "error",
    table="Header",
    fields=["DOB"],
    years=ALL_YEARS,
    message="Date of birth is not a valid date.",
)
def dob_not_valid(t) -> pd.Series:
    # Blank is an error too (DfE text); an unparseable value is NaT after build_tables.
    return t.Header["DOB"].isna()


@rule(
    "103",
    "error",
    table="Header",
    fields=["ETHNIC"],
    years=ALL_YEARS,
    message="The ethnicity code is either not valid or has not been entered.",
)
def ethnic_not_valid(t) -> pd.Series:
    return ~t.Header["ETHNIC"].isin(ETHNIC_CODES)


@rule(
    "104",
    "error",
    table="UASC",
    fields=["DUC"],
    years=ALL_YEARS,
    message="Date for Unaccompanied Asylum-Seeking Children (UASC) status ceased is not a valid date.",
)
def duc_not_valid(t) -> pd.Series:
    u = t.UASC
    return dates.invalid(u["DUC_raw"], u["DUC"]) | (u["DUC"] < t.collection_start)


@rule(
    "105",
    "error",
    table="Header",
    fields=["UASC"],
    years=ALL_YEARS,
    message="Data entry for Unaccompanied Asylum-Seeking Children (UASC) status of child is invalid or has "
    "not been completed.",
)
def uasc_flag_not_valid(t) -> pd.Series:
    # For CSV input the flag is derived (always 0/1), so this can only fire on a header that carries its own.
    return ~t.Header["UASC"].isin(["0", "1"])


@rule(
    "166",
    "error",
    table="Reviews",
    fields=["REVIEW"],
    years=ALL_YEARS,
    message="Date of review is invalid or blank.",
)
def review_date_not_valid(t) -> pd.Series:
    return t.Reviews["REVIEW"].isna()


@rule(
    "167",
    "error",
    table="Reviews",
    fields=["REVIEW_CODE"],
    years=ALL_YEARS,
    message="Data entry for participation is invalid or blank.",
)
def review_code_not_valid(t) -> pd.Series:
    r = t.Reviews
    return present_in(t, "Reviews", "REVIEW_raw") & ~r["REVIEW_CODE"].isin(REVIEW_CODES)


@rule(
    "168",
    "error",
    table="Header",
    fields=["UPN"],
    years=ALL_YEARS,
    message="Unique Pupil Number (UPN) is not valid. If unknown, default codes should be UN1, UN2, UN3, "
    "UN4 or UN5.",
)
def upn_not_valid(t) -> pd.Series:
    upn = t.Header["UPN"]
    shaped = upn.astype("str").str.fullmatch(UPN_PATTERN)
    return present_in(t, "Header", "UPN") & ~upn.isin(UPN_UNKNOWN) & ~shaped.fillna(False).astype(bool)


@rule(
    "171",
    "error",
    table="Header",
    fields=["MC_DOB"],
    years=ALL_YEARS,
    message="Date of birth of mother's child is not a valid date.",
)
def mc_dob_not_valid(t) -> pd.Series:
    return dates.invalid(t.Header["MC_DOB_raw"], t.Header["MC_DOB"])


@rule(
    "174",
    "error",
    table="Header",
    fields=["SEX", "MC_DOB"],
    years=ALL_YEARS,
    message="Mother's child date of birth is recorded but sex shows that the child is a male.",
)
def male_with_mc_dob(t) -> pd.Series:
    h = t.Header
    return (h["SEX"] == "M") & present(h["MC_DOB_raw"])


@shared
def _in_last_header(t) -> pd.Series:
    return child_in(t, "Header", "Header_last")


@rule(
    "202",
    "error",
    table="Header",
    fields=["SEX"],
    years=ALL_YEARS,
    needs=["Header_last"],
    message="The gender code conflicts with the gender already recorded for this child.",
)
def sex_changed(t) -> pd.Series:
    # Both sides in M/F terms, so a 1/2 code (rule 101's finding this year) is not also a change.
    last = header_value(t, "Header", "SEX", header="Header_last").astype(object).replace(LEGACY_SEX)
    now = t.Header["SEX"].astype(object).replace(LEGACY_SEX)
    return _in_last_header(t) & (now.fillna("") != last.fillna(""))


@rule(
    "203",
    "error",
    table="Header",
    fields=["DOB"],
    years=ALL_YEARS,
    needs=["Header_last"],
    message="Date of birth disagrees with the date of birth already recorded for this child.",
)
def dob_changed(t) -> pd.Series:
    # What was recorded is compared, as 204 does for ethnicity: a DOB blank or not a date in one year and
    # valid in the other is a difference (rule 102 also reports this year's). Silent only when neither
    # year's value is a usable date.
    now = t.Header["DOB"]
    last = header_value(t, "Header", "DOB", header="Header_last")
    usable_now, usable_last = now.notna(), last.notna()
    differs = (usable_now != usable_last) | (usable_now & usable_last & (now != last))
    return _in_last_header(t) & differs


@rule(
    "204",
    "error",
    table="Header",
    fields=["ETHNIC"],
    years=ALL_YEARS,
    needs=["Header_last"],
    message="Ethnic origin code disagrees with the ethnic origin already recorded for this child.",
)
def ethnic_changed(t) -> pd.Series:
    last = header_value(t, "Header", "ETHNIC", header="Header_last").astype(object)
    return _in_last_header(t) & (t.Header["ETHNIC"].astype(object).fillna("") != last.fillna(""))


# Rules 205A-D. Whether a child is "UASC" in a year comes from that year's header UASC flag where the
# return carries one (the XML form does); a CSV return has no flag, and a child is UASC there when they
# appear in its UASC table (that is how this year's Header.UASC is derived). The XML reader writes a UASC
# row for any DUC, flag 0 included, so for last year membership is only the fallback. Last year's UASC
# table is required (for its DUCs), this year's is optional (absent = no UASC children this year).


@shared
def _uasc_flags(t) -> tuple[pd.Series, pd.Series]:
    child = t.Header["CHILD"]
    listed_last = child.isin(children_of(t, "UASC_last"))
    if "UASC" in t.Header_last.columns:
        # Per child: the flag where last year's header gives one, membership where it is blank.
        flag_last = header_value(t, "Header", "UASC", header="Header_last").astype(object)
        listed_last = (flag_last == "1").where(present(flag_last), listed_last).astype(bool)
    return t.Header["UASC"] == "1", listed_last


@shared
def _duc(t, name: str, column: str = "DUC") -> pd.Series:
    if not t.has(name):
        return pd.Series(pd.NaT, index=t.Header.index, dtype="datetime64[us]")
    # by_child(Header CHILD, first_by_child(t[name], column)), on the integer child codes.
    return header_value(t, "Header", column, header=name)


@shared
def _duc_given(t, name: str) -> pd.Series:
    if not t.has(name):
        return pd.Series(False, index=t.Header.index)
    return present(_duc(t, name, "DUC_raw"))


@rule(
    "205A",
    "error",
    table="Header",
    fields=["CHILD", "UASC"],
    years=ALL_YEARS,
    needs=["Header_last", "UASC_last"],
    message="Child identified as UASC last year is no longer UASC this year, but date UASC ceased in both "
    "years does not support this.",
)
def uasc_ended_without_duc(t) -> pd.Series:
    this, last = _uasc_flags(t)
    last_duc = _duc(t, "UASC_last")
    last_start = t.collection_start - pd.DateOffset(years=1)
    last_end = t.collection_end - pd.DateOffset(years=1)
    supported = last_duc.between(last_start, last_end) & ~_duc_given(t, "UASC")
    return last & ~this & ~supported


@rule(
    "205B",
    "error",
    table="Header",
    fields=["DUC", "UASC"],
    years=ALL_YEARS,
    needs=["Header_last", "UASC_last"],
    message="Child previously identified as UASC is also UASC this year, but date UASC ceased in both years "
    "does not support this.",
)
def uasc_both_years_duc(t) -> pd.Series:
    this, last = _uasc_flags(t)
    dob = t.Header["DOB"]
    last_duc, this_duc = _duc(t, "UASC_last"), _duc(t, "UASC")
    this_ok = this_duc.between(t.collection_start, t.collection_end) | (this_duc == last_duc)
    supported = (last_duc == birthday(dob, 18)) & this_ok
    # A bad DOB is rule 102's finding, not a DUC contradiction.
    return this & last & dob.notna() & ~supported


@rule(
    "205C",
    "error",
    table="Header",
    fields=["DUC", "UASC"],
    years=ALL_YEARS,
    needs=["Header_last", "UASC_last"],
    message="Child not identified as UASC either this year or last year but date UASC ceased has been "
    "provided.",
)
def duc_without_uasc(t) -> pd.Series:
    this, last = _uasc_flags(t)
    any_duc = _duc_given(t, "UASC") | _duc_given(t, "UASC_last")
    return _in_last_header(t) & ~this & ~last & any_duc


@rule(
    "205D",
    "error",
    table="Header",
    fields=["UASC", "CHILD"],
    years=ALL_YEARS,
    needs=["Header_last", "UASC_last"],
    message="Child identified as UASC this year but not identified as UASC status provided for the child "
    "last year.",
)
def uasc_new_this_year(t) -> pd.Series:
    this, last = _uasc_flags(t)
    return _in_last_header(t) & this & ~last


@rule(
    "208",
    "error",
    table="Header",
    fields=["UPN"],
    years=ALL_YEARS,
    needs=["Header_last"],
    message="Unique Pupil Number (UPN) for the current year disagrees with the Unique Pupil Number (UPN) "
    "already recorded for this child.",
)
def upn_changed(t) -> pd.Series:
    cur = t.Header["UPN"].fillna("")
    prev = header_value(t, "Header", "UPN", header="Header_last").fillna("")
    real_now = (cur != "") & ~cur.isin(UPN_UNKNOWN)
    to_other_unknown = prev.isin(["", "UN1"]) & cur.isin(UPN_UNKNOWN - {"UN1"})
    to_real = (prev.isin(UPN_UNKNOWN) | (prev == "")) & real_now
    return _in_last_header(t) & (cur != prev) & ~to_other_unknown & ~to_real


@rule(
    "209",
    "error",
    table="Header",
    fields=["UPN", "DOB"],
    years=ALL_YEARS,
    message="Child looked after is of school age and should not have an unknown Unique Pupil Number (UPN) "
    "code of UN1.",
)
def school_age_un1(t) -> pd.Series:
    # School age: 4 by the 31 August before the collection year began.
    cutoff = pd.Timestamp(year=t.year - 2, month=8, day=31)
    h = t.Header
    return (h["UPN"] == "UN1") & (birthday(h["DOB"], 4) <= cutoff)


@rule(
    "231",
    "query",
    table="Header",
    fields=["DOB", "UASC"],
    years=ALL_YEARS,
    message="We expect that unaccompanied asylum seeking children are generally older young people. Please "
    "check the date of birth is correct. If the date of birth is correct then please provide "
    "details in a bypass request.",
)
def young_uasc(t) -> pd.Series:
    # The intended check (the public validator reads a column that does not exist): under 11 at 31 March.
    h = t.Header
    return (h["UASC"] == "1") & (birthday(h["DOB"], 11) > t.collection_end)


@rule(
    "232",
    "query",
    table="Header",
    fields=["SEX"],
    years=ALL_YEARS,
    message="Sex of the child/young person has been reported as unknown.",
)
def sex_unknown(t) -> pd.Series:
    return t.Header["SEX"] == "U"


@rule(
    "301",
    "error",
    table="Header",
    fields=["DOB"],
    years=ALL_YEARS,
    message="Date of birth falls after the year ended.",
)
def dob_after_year(t) -> pd.Series:
    return t.Header["DOB"] > t.collection_end


@rule(
    "303",
    "error",
    table="UASC",
    fields=["DUC", "UASC"],
    years=ALL_YEARS,
    needs=["Header"],
    message="If date Unaccompanied Asylum-Seeking Child (UASC) status ceased is not null, UASC status must "
    "be coded 1.",
)
def duc_without_uasc_flag(t) -> pd.Series:
    flag = header_value(t, "UASC", "UASC", header="Header")
    # A UASC row whose child is missing from the header is another rule's finding.
    return present(t.UASC["DUC_raw"]) & flag.notna() & (flag != "1")


@rule(
    "304",
    "error",
    table="UASC",
    fields=["DUC"],
    years=ALL_YEARS,
    message="Date unaccompanied asylum-seeking child (UASC) status ceased must be on or before the 18th "
    "birthday of a child.",
)
def duc_after_18th(t) -> pd.Series:
    u = t.UASC
    return u["DUC"] > birthday(u["DOB"], 18)


@rule(
    "351",
    "error",
    table="Header",
    fields=["DOB"],
    years=ALL_YEARS,
    message="Child was over 25 at the start of the current collection year.",
)
def over_25(t) -> pd.Series:
    # "Over 25": the 25th birthday fell before 1 April (on 1 April the child is exactly 25).
    return birthday(t.Header["DOB"], 25) < t.collection_start


@rule(
    "399",
    "error",
    table="Header",
    fields=["MOTHER", "LS", "REVIEW", "REVIEW_CODE"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Mother field, review field or participation field are completed but child is looked after "
    "under legal status V3 or V4.",
)
def short_breaks_with_mother_or_reviews(t) -> pd.Series:
    # Reported on the child's Header row (the engine reports one table); Reviews is optional.
    # Children whose every episode is a short break: with an episode, and none that is not one.
    short = t.Episodes["LS"].isin(SHORT_BREAKS)
    all_short = child_in(t, "Header", "Episodes") & ~child_in(t, "Header", "Episodes", ~short)
    h = t.Header
    reviewed = pd.Series(False, index=h.index)
    if t.has("Reviews"):
        r = t.Reviews
        reviewed = child_in(t, "Header", "Reviews", present_in(t, "Reviews", "REVIEW_raw") | present(r["REVIEW_CODE"]))
    return all_short & (present(h["MOTHER"]) | reviewed)


@rule(
    "440",
    "error",
    table="Reviews",
    fields=["DOB", "REVIEW", "REVIEW_CODE"],
    years=ALL_YEARS,
    message="Participation method indicates child was under 4 years old at the time of the review, but date "
    "of birth and review date indicates the child was 4 years old or over.",
)
def pn0_at_4_or_over(t) -> pd.Series:
    # On the 4th birthday the child is 4 (DfE message: "4 years old or over").
    r = t.Reviews
    return (r["REVIEW_CODE"] == "PN0") & (r["REVIEW"] >= birthday(r["DOB"], 4))


@rule(
    "441",
    "error",
    table="Reviews",
    fields=["DOB", "REVIEW", "REVIEW_CODE"],
    years=ALL_YEARS,
    message="Participation method indicates child was 4 years old or over at the time of the review, but "
    "the date of birth and review date indicates the child was under 4 years old.",
)
def pn1_7_under_4(t) -> pd.Series:
    r = t.Reviews
    return r["REVIEW_CODE"].isin(REVIEW_CODES - {"PN0"}) & (r["REVIEW"] < birthday(r["DOB"], 4))


@rule(
    "444",
    "error",
    table="Header",
    fields=["UPN"],
    years=[2026, 2027],
    message="Duplicate UPN has been reported",
)
def duplicate_upn(t) -> pd.Series:
    h = t.Header
    real = present_in(t, "Header", "UPN") & ~h["UPN"].isin(UPN_UNKNOWN)
    per_upn = h.loc[real].groupby("UPN", sort=False)["CHILD"].nunique()
    shared = per_upn.index[(per_upn > 1).to_numpy()]
    return real & h["UPN"].isin(shared)


@rule(
    "564",
    "error",
    table="Missing",
    fields=["MISSING", "MIS_START"],
    years=ALL_YEARS,
    message="Child was missing or away from placement without authorisation and the date started is blank.",
)
def missing_without_start(t) -> pd.Series:
    m = t.Missing
    return m["MISSING"].isin(MISSING_CODES) & ~present(m["MIS_START_raw"])


@rule(
    "565",
    "error",
    table="Missing",
    fields=["MISSING", "MIS_START"],
    years=ALL_YEARS,
    message="The date that the child started to be missing or away from placement without authorisation "
    "has been completed but whether the child was missing or away from placement without "
    "authorisation has not been completed.",
)
def start_without_missing_type(t) -> pd.Series:
    # "Not completed" means blank: a MISSING code that is given but not M/A is rule 1006's finding alone.
    m = t.Missing
    return present(m["MIS_START_raw"]) & ~present_in(t, "Missing", "MISSING")


@rule(
    "566",
    "error",
    table="Missing",
    fields=["MISSING", "MIS_END"],
    years=ALL_YEARS,
    message="The date that the child's episode of being missing or away from placement without authorisation "
    "ended has been completed but whether the child was missing or away without authorisation has "
    "not been completed.",
)
def end_without_missing_type(t) -> pd.Series:
    # As 565: only a blank MISSING; an invalid code is rule 1006's finding.
    m = t.Missing
    return present(m["MIS_END_raw"]) & ~present_in(t, "Missing", "MISSING")


@rule(
    "567",
    "error",
    table="Missing",
    fields=["MIS_START", "MIS_END"],
    years=ALL_YEARS,
    message="The date that the missing episode or episode that the child was away from placement without "
    "authorisation ended is before the date that it started.",
)
def missing_ends_before_start(t) -> pd.Series:
    return t.Missing["MIS_END"] < t.Missing["MIS_START"]


@rule(
    "570",
    "error",
    table="Missing",
    fields=["MIS_START"],
    years=ALL_YEARS,
    message="The date that the child started to be missing or away from placement without authorisation is "
    "after the end of the collection year.",
)
def missing_starts_after_year(t) -> pd.Series:
    return t.Missing["MIS_START"] > t.collection_end


@rule(
    "571",
    "error",
    table="Missing",
    fields=["MIS_END"],
    years=ALL_YEARS,
    message="The date that the child ceased to be missing or away from placement without authorisation is "
    "before the start or after the end of the collection year.",
)
def missing_end_outside_year(t) -> pd.Series:
    end = t.Missing["MIS_END"]
    return (end < t.collection_start) | (end > t.collection_end)


@rule(
    "574",
    "error",
    table="Missing",
    fields=["MIS_START", "MIS_END"],
    years=ALL_YEARS,
    message="A new missing/away from placement without authorisation period cannot start when the previous "
    "missing/away from placement without authorisation period is still open. Missing/away from "
    "placement without authorisation periods should also not overlap.",
)
def missing_periods_overlap(t) -> pd.Series:
    # Ordered by start, a period fails when it starts before the latest end of any earlier period of the
    # child (an open one counting as never ending). Starting on the day the previous one ended is allowed.
    m = t.Missing
    end = m["MIS_END"].where(~dates.absent(m["MIS_END_raw"]), FAR_FUTURE)
    end = end.where(end.notna(), m["MIS_START"])  # an unparseable end: treat as a one-day period
    f = pd.DataFrame({"CHILD": m["CHILD"], "START": m["MIS_START"], "END": end})
    f = f.loc[f["START"].notna() & f["CHILD"].notna()].sort_values(["CHILD", "START", "END"], kind="stable")
    latest_end = f.groupby("CHILD", sort=False)["END"].cummax()
    before = latest_end.groupby(f["CHILD"], sort=False).shift()
    fails = f["START"] < before
    return fails.reindex(m.index, fill_value=False)


@rule(
    "575",
    "error",
    table="Missing",
    fields=["MIS_END"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="If the placement from which the child goes missing/away from placement without authorisation "
    "ends, the missing/away from placement without authorisation period in the missing module must "
    "also have an end date.",
)
def open_missing_in_ended_episode(t) -> pd.Index:
    # "Starts during an episode": DECOM <= MIS_START <= DEC, the episode having a DEC. Open episodes are
    # never treated as ended (the public validator's filled-in DECs made them so).
    m = t.Missing.loc[dates.absent(t.Missing["MIS_END_raw"])]
    codes = table_codes(t, "Missing", m), child_codes(t)["Episodes"]
    p = pairs(m, ["MIS_START"], t.Episodes, ["DECOM", "DEC"], codes)
    return rows_where(p, (p["DECOM"] <= p["MIS_START"]) & (p["MIS_START"] <= p["DEC"]))


@rule(
    "576",
    "error",
    table="Header",
    fields=["CHILD"],
    years=ALL_YEARS,
    needs=["Missing_last"],
    message="There is an open missing/away from placement without authorisation period in last year’s "
    "return and there is no corresponding period recorded at the start of this year.",
)
def open_missing_not_carried_forward(t) -> pd.Series:
    # Reported on the child's Header row: the child may have no Missing row this year at all.
    last = t.Missing_last
    is_open = dates.absent(last["MIS_END_raw"]) & last["MIS_START"].notna()
    open_start = last.loc[is_open].groupby("CHILD", sort=False)["MIS_START"].max()
    h = t.Header
    carried = by_child(h["CHILD"], open_start)
    if t.has("Missing"):
        first_now = by_child(h["CHILD"], t.Missing.groupby("CHILD", sort=False)["MIS_START"].min())
    else:
        first_now = pd.Series(pd.NaT, index=h.index, dtype="datetime64[us]")
    return carried.notna() & (first_now.isna() | (first_now != carried))


@rule(
    "577",
    "error",
    table="Missing",
    fields=["MIS_END"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child ceased to be looked after but there is a missing/away from placement without "
    "authorisation period without an end date.",
)
def missing_outlasts_care(t) -> pd.Index:
    # The DfE check is about a missing period with NO end date (lac_rules.csv, corrected): it fails when the
    # child has a period of care that has ended and the open missing period started in or before it (on or
    # before its end), including before the child's first episode in the return. A period with an end date
    # (even one after care ended) is not this rule's concern, nor is an open one started after care ended
    # (578's). An unparseable MIS_END is not "without an end date" (1005's); a blank or bad MIS_START is
    # 564's / 1004's.
    return open_within_ended_care(t, "Missing", "MIS_START", "MIS_END")


def open_within_ended_care(t, name: str, start: str, end: str) -> pd.Index:
    """Rows of ``t[name]`` with no ``end`` given whose valid ``start`` is on or before the end of one of
    the child's ended periods of care (``care_periods``)."""
    frame = t[name]
    rows = frame.loc[dates.absent(frame[f"{end}_raw"]) & frame[start].notna()]
    periods = _episode_care_periods(t)
    ended = periods.loc[periods["END"].notna()]
    p = pairs(rows, [start], ended, ["END"], (table_codes(t, name, rows), ended["_code"].to_numpy()))
    return rows_where(p, p[start] <= p["END"])


def _outside(
    m: pd.DataFrame, spans: pd.DataFrame, start: str, end: str, codes: tuple[np.ndarray, np.ndarray] | None = None
) -> pd.Series:
    """Missing rows with a valid MIS_START inside none of the child's ``spans`` (open end = still running)."""
    p = pairs(m, ["MIS_START"], spans, [start, end], codes)
    inside = rows_where(p, (p[start] <= p["MIS_START"]) & (p[end].isna() | (p["MIS_START"] <= p[end])))
    return m["MIS_START"].notna() & ~m.index.isin(inside)


@rule(
    "578",
    "error",
    table="Missing",
    fields=["MIS_START"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="The date that the child started to be missing is after the child ceased to be looked after.",
)
def missing_starts_outside_care(t) -> pd.Series:
    # Borderline (issue #11): a child with no period of care in the return (no episode, or none with a valid
    # DECOM) has not "ceased to be looked after": 578 is silent for them. Rule 581 ("missing but has not yet
    # started to be looked after") and 1012 (data but no episodes) report that child, and the episode date
    # rules a DECOM that is not a date.
    periods = _episode_care_periods(t)
    codes = child_codes(t)["Missing"], periods["_code"].to_numpy()
    has_care = pd.Series(np.isin(codes[0], codes[1]), index=t.Missing.index)  # a blank CHILD (-1): none
    return has_care & _outside(t.Missing, periods, "START", "END", codes)


@rule(
    "580",
    "error",
    table="Episodes",
    fields=["REC"],
    years=ALL_YEARS,
    needs=["Missing"],
    message="Child is missing when cease being looked after but reason episode ceased not ‘E8’.",
)
def missing_at_18_not_e8(t) -> pd.Index:
    # Reported on the episode whose REC must change. DOB is the Missing row's own.
    m = t.Missing
    at_18 = m.loc[m["MIS_END"].notna() & (m["MIS_END"] == birthday(m["DOB"], 18))]
    codes = child_codes(t)["Episodes"], table_codes(t, "Missing", at_18)
    p = pairs(t.Episodes, ["DEC", "REC"], at_18, ["MIS_END"], codes)
    return rows_where(p, (p["DEC"] == p["MIS_END"]) & (p["REC"] != "E8"))


@rule(
    "581",
    "error",
    table="Missing",
    fields=["MIS_START"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child is missing but has not yet started to be looked after.",
)
def missing_starts_outside_episode(t) -> pd.Series:
    ep = t.Episodes.loc[t.Episodes["DECOM"].notna()]
    return _outside(t.Missing, ep, "DECOM", "DEC", (child_codes(t)["Missing"], table_codes(t, "Episodes", ep)))


@rule(
    "586",
    "error",
    table="Missing",
    fields=["MIS_START"],
    years=ALL_YEARS,
    message="Dates of missing periods are before child’s date of birth.",
)
def missing_before_birth(t) -> pd.Series:
    # Description: MIS_START must be after the DOB, so a start on the day of birth fails too.
    return t.Missing["MIS_START"] <= t.Missing["DOB"]


@rule(
    "611",
    "error",
    table="Header",
    fields=["MOTHER", "MC_DOB"],
    years=ALL_YEARS,
    message="Date of birth field is blank, but child is a mother.",
)
def mother_without_mc_dob(t) -> pd.Series:
    h = t.Header
    return (h["MOTHER"] == "1") & ~present(h["MC_DOB_raw"])


@rule(
    "612",
    "error",
    table="Header",
    fields=["SEX", "MOTHER", "MC_DOB"],
    years=ALL_YEARS,
    message="Date of birth field has been completed but mother field indicates child is not a mother.",
)
def mc_dob_but_not_mother(t) -> pd.Series:
    h = t.Header
    not_mother = (h["MOTHER"] == "0") | ~present(h["MOTHER"])
    return (h["SEX"] == "F") & not_mother & present(h["MC_DOB_raw"])


@rule(
    "620",
    "error",
    table="Header",
    fields=["DOB", "MOTHER"],
    years=ALL_YEARS,
    message="Child has been recorded as a mother, but date of birth shows that the mother is under 11 years "
    "of age.",
)
def mother_under_11(t) -> pd.Series:
    h = t.Header
    return (h["MOTHER"] == "1") & (birthday(h["DOB"], 11) > t.collection_start)


@rule(
    "621",
    "error",
    table="Header",
    fields=["DOB", "MC_DOB"],
    years=ALL_YEARS,
    message="Mother’s field has been completed but date of birth shows that the mother is younger than her "
    "child.",
)
def mother_younger_than_child(t) -> pd.Series:
    # Description: MC_DOB must be after the mother's DOB, so the same day fails too.
    return t.Header["MC_DOB"] <= t.Header["DOB"]


@rule(
    "624",
    "error",
    table="Header",
    fields=["MC_DOB"],
    years=ALL_YEARS,
    needs=["Header_last"],
    message="Date of birth of the first child contradicts the date of birth of the first child previously "
    "recorded.",
)
def mc_dob_changed(t) -> pd.Series:
    h = t.Header
    last = header_value(t, "Header", "MC_DOB", header="Header_last")
    # Blank this year contradicts; an unparseable one is rule 171's finding.
    differs = ~present(h["MC_DOB_raw"]) | (h["MC_DOB"].notna() & (h["MC_DOB"] != last))
    return last.notna() & differs


@rule(
    "626",
    "error",
    table="Header",
    fields=["MOTHER", "MC_DOB"],
    years=ALL_YEARS,
    needs=["Header_last"],
    message="Child was reported as a mother but the date of birth of the first child is before the current "
    "year which contradicts with the mother status recorded last year.",
)
def new_mother_old_child(t) -> pd.Series:
    h = t.Header
    last_mother = header_value(t, "Header", "MOTHER", header="Header_last")
    return (last_mother == "0") & (h["MOTHER"] == "1") & (h["MC_DOB"] < t.collection_start)


@rule(
    "1004",
    "error",
    table="Missing",
    fields=["MIS_START"],
    years=ALL_YEARS,
    message="The start date of the missing episode or episode that the child was away from placement without "
    "authorisation is not a valid date.",
)
def mis_start_not_valid(t) -> pd.Series:
    return t.Missing["MIS_START"].isna()


@rule(
    "1005",
    "error",
    table="Missing",
    fields=["MIS_END"],
    years=ALL_YEARS,
    message="The end date of the missing episode or episode that the child was away from placement without "
    "authorisation is not a valid date.",
)
def mis_end_not_valid(t) -> pd.Series:
    return dates.invalid(t.Missing["MIS_END_raw"], t.Missing["MIS_END"])


@rule("1006", "error", table="Missing", fields=["MISSING"], years=ALL_YEARS, message="Missing type invalid.")
def missing_type_not_valid(t) -> pd.Series:
    m = t.Missing
    return present(m["MISSING"]) & ~m["MISSING"].isin(MISSING_CODES)
