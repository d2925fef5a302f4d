"""SSDA903 rules on the outcome tables: OC2 (children looked after for 12 months) and OC3 (care leavers).

Rules are in code order. Where a rule spans several tables, the engine reports one of them: the table
holding the values the rule asks the LA to correct.
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
    continuously_looked_after,
    episode_edges,
    first_rows,
    ids,
    in_year,
    looked_after_12_months,
    present,
    rule,
    shared,
)
from schemas.rules.ssda903.header import (
    first_by_child,
    pairs,
    rows_where,
    table_codes,
)
from statreturns import dates
from statreturns.reference import code_list

IN_TOUCH_CODES = code_list("ssda903", "in_touch")
ACTIV_CODES = code_list("ssda903", "activ")
# Homelessness (S) and custody (X) have only the "unsuitable" variant (rule 133's DfE list).
ACCOM_CODES = code_list("ssda903", "accom")
FOYER = {"T1", "T2"}
SDQ_REASONS = code_list("ssda903", "sdq_reason")
ADOPTED = {"E11", "E12"}
OC3_ITEMS = ["IN_TOUCH", "ACTIV", "ACCOM"]
HEALTH_CORE = ["IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE"]
OC2_ITEMS = [
    "CONVICTED",
    "HEALTH_CHECK",
    "IMMUNISATIONS",
    "TEETH_CHECK",
    "HEALTH_ASSESSMENT",
    "SUBSTANCE_MISUSE",
    "INTERVENTION_RECEIVED",
    "INTERVENTION_OFFERED",
]


# --- helpers -------------------------------------------------------------------------------------


def any_given(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Any of ``columns`` present, row by row (an OR of the columns' masks, without building a frame of them)."""
    given = np.zeros(len(frame), dtype=bool)
    for c in columns:
        given |= present(frame[c]).to_numpy(dtype=bool)
    return pd.Series(given, index=frame.index)


def any_blank(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Any of ``columns`` blank, row by row."""
    blank = np.zeros(len(frame), dtype=bool)
    for c in columns:
        blank |= ~present(frame[c]).to_numpy(dtype=bool)
    return pd.Series(blank, index=frame.index)


def oc3_given(o: pd.DataFrame) -> pd.Series:
    return any_given(o, OC3_ITEMS)


@shared
def children_with_oc3(t) -> pd.Index:
    o = t.OC3
    return ids(o.loc[oc3_given(o), "CHILD"].dropna().unique())


@shared
def children_in_year(t) -> pd.Index:
    ep = t.Episodes
    return ids(ep.loc[in_year(ep, t.collection_start, t.collection_end), "CHILD"].dropna().unique())


def latest_episodes(ep: pd.DataFrame) -> pd.DataFrame:
    """Each child's episode with the latest valid DECOM (file order breaks ties)."""
    e = ep.loc[ep["DECOM"].notna() & ep["CHILD"].notna()]
    return e.sort_values("DECOM", kind="stable").drop_duplicates("CHILD", keep="last")


def _child_among(t, table: str, other: str, rows: pd.DataFrame) -> pd.Series:
    """For each row of ``t[table]``: its child has one of ``rows`` (rows of ``t[other]``), on the integer
    child codes; a blank id matches nothing."""
    theirs = table_codes(t, other, rows)
    return pd.Series(np.isin(child_codes(t)[table], theirs[theirs >= 0]), index=t[table].index)


@shared
def latest_of(t, name: str) -> pd.DataFrame:
    """``latest_episodes(t[name])``, built once for all rules from the episodes' built order."""
    ep = t[name]
    if "EPISODE_ORDER" not in ep.columns:
        return latest_episodes(ep)
    rows = np.sort(ep.index.get_indexer(episode_edges(t, name, last=True)))  # file order breaks ties
    return ep.iloc[rows[np.argsort(ep["DECOM"].to_numpy()[rows], kind="stable")]]  # one take of the frame


def _sdq_given(o: pd.DataFrame) -> pd.Series:
    return present(o["SDQ_SCORE"]) | present(o["SDQ_REASON"])


def _birthday_at_17_or_18(o: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """The 17th or 18th birthday of a young person aged 17 or 18 at ``end``; NaT for other ages."""
    b17, b18, b19 = (birthday(o["DOB"], n) for n in (17, 18, 19))
    aged_17 = (b17 <= end) & (b18 > end)
    aged_18 = (b18 <= end) & (b19 > end)
    return b17.where(aged_17, b18.where(aged_18))


# --- rules ---------------------------------------------------------------------------------------


@rule(
    "131",
    "error",
    table="OC3",
    fields=["IN_TOUCH"],
    years=ALL_YEARS,
    message="Data entry for being in touch after leaving care is invalid.",
)
def in_touch_not_valid(t) -> pd.Series:
    return ~t.OC3["IN_TOUCH"].isin(IN_TOUCH_CODES)


@rule(
    "132",
    "error",
    table="OC3",
    fields=["ACTIV"],
    years=ALL_YEARS,
    message="Data entry for activity after leaving care is invalid.",
)
def activ_not_valid(t) -> pd.Series:
    return ~t.OC3["ACTIV"].isin(ACTIV_CODES)


@rule(
    "133",
    "error",
    table="OC3",
    fields=["ACCOM"],
    years=ALL_YEARS,
    message="Data entry for accommodation after leaving care is invalid. If reporting on a childs "
    "accommodation after leaving care the data entry must be valid",
)
def accom_not_valid(t) -> pd.Series:
    return ~t.OC3["ACCOM"].isin(ACCOM_CODES)


@rule(
    "153",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    message="All data items relating to a child's activity or accommodation after leaving care must be "
    "coded or left blank.",
)
def oc3_partly_given(t) -> pd.Series:
    given = sum(present(t.OC3[c]).astype(int) for c in OC3_ITEMS)
    return (given > 0) & (given < len(OC3_ITEMS))


@rule(
    "157",
    "error",
    table="OC2",
    fields=["SDQ_REASON", "DOB"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child is aged 4 years or over at the beginning of the year or 16 years or under at the end of "
    "the year and Strengths and Difficulties Questionnaire (SDQ) 1 has been recorded as the reason "
    "for no Strengths and Difficulties Questionnaire (SDQ) score.",
)
def sdq1_in_age_range(t) -> pd.Series:
    o = t.OC2
    in_range = (birthday(o["DOB"], 4) <= t.collection_start) & (birthday(o["DOB"], 17) > t.collection_end)
    return (
        looked_after_12_months(t, "OC2") & in_range & (o["SDQ_REASON"] == "SDQ1") & ~present(o["SDQ_SCORE"])
    )


@rule(
    "158",
    "error",
    table="OC2",
    fields=["INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"],
    years=ALL_YEARS,
    message="If a child has been recorded as receiving an intervention for their substance misuse problem, "
    "then the additional item on whether an intervention was offered should be left blank.",
)
def received_and_offered(t) -> pd.Series:
    o = t.OC2
    return (o["INTERVENTION_RECEIVED"] == "1") & present(o["INTERVENTION_OFFERED"])


@rule(
    "159",
    "error",
    table="OC2",
    fields=["SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"],
    years=ALL_YEARS,
    message="If a child has been recorded as not receiving an intervention for their substance misuse "
    "problem, then the additional item on whether an intervention was offered should be completed "
    "as well.",
)
def not_received_offer_blank(t) -> pd.Series:
    o = t.OC2
    return (
        (o["SUBSTANCE_MISUSE"] == "1")
        & (o["INTERVENTION_RECEIVED"] == "0")
        & ~present(o["INTERVENTION_OFFERED"])
    )


@rule(
    "165",
    "error",
    table="Header",
    fields=["MOTHER", "SEX", "ACTIV", "ACCOM", "IN_TOUCH", "DECOM"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Data entry for mother status is invalid.",
)
def mother_status_not_valid(t) -> pd.Series:
    # Sex tests use the M/F codes in force from 2024/25 (the public validator still tests 1/2). OC3 is
    # optional: without it the last test cannot fire.
    h, ep = t.Header, t.Episodes
    mother = h["MOTHER"]
    given = present(mother)
    overlap = in_year(ep, t.collection_start, t.collection_end)
    in_care = h["CHILD"].isin(ep.loc[overlap & ~ep["LS"].isin(SHORT_BREAKS), "CHILD"])
    any_episode = h["CHILD"].isin(ep.loc[overlap, "CHILD"])
    care_leaver = h["CHILD"].isin(children_with_oc3(t)) if t.has("OC3") else pd.Series(False, index=h.index)
    female = h["SEX"] == "F"
    return (
        (given & ~mother.isin(["0", "1"]))
        | ((h["SEX"] == "M") & given)
        | (female & in_care & ~given)
        | (female & given & ~any_episode & care_leaver)
    )


@rule(
    "180",
    "error",
    table="OC2",
    fields=["SDQ_SCORE"],
    years=ALL_YEARS,
    message="Data entry for the strengths and difficulties questionnaire (SDQ) score is invalid.",
)
def sdq_score_not_valid(t) -> pd.Series:
    score = t.OC2["SDQ_SCORE"]
    text = score.astype("str").str.strip()
    whole = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
    value = pd.to_numeric(text.where(whole), errors="coerce")
    return present(score) & ~(whole & (value <= 40))


@rule(
    "181",
    "error",
    table="OC2",
    fields=OC2_ITEMS,
    years=ALL_YEARS,
    message="Data items relating to children looked after continuously for 12 months should be completed "
    "with a 0 or 1.",
)
def oc2_flags_not_valid(t) -> pd.Series:
    o = t.OC2
    return pd.concat([present(o[c]) & ~o[c].isin(["0", "1"]) for c in OC2_ITEMS], axis=1).any(axis=1)


@rule(
    "182",
    "error",
    table="OC2",
    fields=[
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "CONVICTED",
        "HEALTH_CHECK",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ],
    years=ALL_YEARS,
    message="Data entries on immunisations, teeth checks, health assessments and substance misuse problem "
    "identified should be completed or all OC2 fields should be left blank.",
)
def health_core_missing(t) -> pd.Series:
    o = t.OC2
    others = any_given(o, ["CONVICTED", "HEALTH_CHECK", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"])
    return others & any_blank(o, HEALTH_CORE)


@rule(
    "185",
    "error",
    table="OC2",
    fields=["SDQ_SCORE"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child has not been looked after continuously for at least 12 months at 31 March but a "
    "Strengths and Difficulties (SDQ) score has been completed.",
)
def sdq_score_not_cla(t) -> pd.Series:
    o = t.OC2
    return present(o["SDQ_SCORE"]) & ~looked_after_12_months(t, "OC2")


@rule(
    "186",
    "error",
    table="OC2",
    fields=["SDQ_SCORE"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Children aged 4 or over at the start of the year and children aged under 17 at the end of the "
    "year and who have been looked after for at least 12 months continuously should have a "
    "Strengths and Difficulties (SDQ) score completed.",
)
def sdq_missing(t) -> pd.Series:
    o = t.OC2
    in_range = (birthday(o["DOB"], 4) <= t.collection_start) & (birthday(o["DOB"], 17) > t.collection_end)
    return looked_after_12_months(t, "OC2") & in_range & ~_sdq_given(o)


@rule(
    "188",
    "error",
    table="OC2",
    fields=["SDQ_SCORE", "SDQ_REASON"],
    years=ALL_YEARS,
    message="Child is aged under 4 years at the end of the year, but a Strengths and Difficulties (SDQ) "
    "score or a reason for no SDQ score has been completed.",
)
def sdq_under_4(t) -> pd.Series:
    o = t.OC2
    return (birthday(o["DOB"], 4) > t.collection_end) & _sdq_given(o)


@rule(
    "189",
    "error",
    table="OC2",
    fields=["DOB", "SDQ_SCORE", "SDQ_REASON"],
    years=ALL_YEARS,
    message="Child is aged 17 years or over at the beginning of the year, but an Strengths and Difficulties "
    "(SDQ) score or a reason for no Strengths and Difficulties (SDQ) score has been completed.",
)
def sdq_17_or_over(t) -> pd.Series:
    # "17 or over at the start of the year": the 17th birthday strictly before 1 April. A child turning 17
    # on 1 April turns 17 in the year, and 197B asks them for an SDQ (one rule or the other would always fail).
    o = t.OC2
    return (birthday(o["DOB"], 17) < t.collection_start) & _sdq_given(o)


@rule(
    "190",
    "error",
    table="OC2",
    fields=OC2_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child has not been looked after continuously for at least 12 months at 31 March but one or "
    "more data items relating to children looked after for 12 months have been completed.",
)
def oc2_items_not_cla(t) -> pd.Series:
    o = t.OC2
    return any_given(o, OC2_ITEMS) & ~looked_after_12_months(t, "OC2")


@rule(
    "191",
    "error",
    table="Episodes",
    fields=[*HEALTH_CORE, "CHILD"],
    years=ALL_YEARS,
    message="Child has been looked after continuously for at least 12 months at 31 March but one or more "
    "data items relating to children looked after for 12 months have been left blank.",
)
def oc2_items_missing(t) -> pd.Index:
    # Reported on each such child's first episode, so that a child with no OC2 row at all is found too.
    # OC2 is optional here: without it, every such child lacks the items.
    cla = continuously_looked_after(t)
    complete = pd.Index([])
    if t.has("OC2"):
        o = t.OC2
        incomplete = ids(o.loc[any_blank(o, HEALTH_CORE), "CHILD"].dropna().unique())
        complete = ids(o["CHILD"].dropna().unique()).difference(incomplete)
    lacking = cla.difference(complete)
    ep = t.Episodes
    if "EPISODE_ORDER" not in ep.columns:
        first = ep.loc[ep["DECOM"].notna()].sort_values("DECOM", kind="stable").drop_duplicates("CHILD")
        return pd.Index(first.index[first["CHILD"].isin(lacking).to_numpy()])
    first = episode_edges(t, "Episodes", last=False)  # each child's earliest episode, file order breaking ties
    return pd.Index(first[ep.loc[first, "CHILD"].isin(lacking).to_numpy()])


@rule(
    "192",
    "error",
    table="OC2",
    fields=["SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED"],
    years=ALL_YEARS,
    message="Child has been identified as having a substance misuse problem but the additional item on "
    "whether an intervention was received has been left blank.",
)
def misuse_without_received(t) -> pd.Series:
    o = t.OC2
    return (o["SUBSTANCE_MISUSE"] == "1") & ~present(o["INTERVENTION_RECEIVED"])


@rule(
    "193",
    "error",
    table="OC2",
    fields=["SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"],
    years=ALL_YEARS,
    message="Child not identified as having a substance misuse problem but at least one of the two "
    "additional items on whether an intervention were offered and received have been completed.",
)
def intervention_without_misuse(t) -> pd.Series:
    o = t.OC2
    no_misuse = (o["SUBSTANCE_MISUSE"] == "0") | ~present(o["SUBSTANCE_MISUSE"])
    return no_misuse & any_given(o, ["INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"])


@rule(
    "196",
    "error",
    table="OC2",
    fields=["SDQ_REASON"],
    years=ALL_YEARS,
    message="Strengths and Difficulties (SDQ) reason is not a valid code.",
)
def sdq_reason_not_valid(t) -> pd.Series:
    reason = t.OC2["SDQ_REASON"]
    return present(reason) & ~reason.isin(SDQ_REASONS)


@rule(
    "197a",
    "error",
    table="OC2",
    fields=["SDQ_SCORE", "SDQ_REASON"],
    years=ALL_YEARS,
    message="Reason for no Strengths and Difficulties (SDQ) score is not required if Strengths and "
    "Difficulties Questionnaire score is filled in.",
)
def sdq_score_and_reason(t) -> pd.Series:
    o = t.OC2
    return present(o["SDQ_SCORE"]) & present(o["SDQ_REASON"])


@rule(
    "197B",
    "error",
    table="OC2",
    fields=["SDQ_REASON", "DOB"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="SDQ score or reason for no SDQ should be reported for 4- or 17-year-olds.",
)
def sdq_missing_turning_4_or_17(t) -> pd.Series:
    o = t.OC2
    start, end = t.collection_start, t.collection_end
    turning = birthday(o["DOB"], 4).between(start, end) | birthday(o["DOB"], 17).between(start, end)
    return looked_after_12_months(t, "OC2") & turning & ~_sdq_given(o)


@rule(
    "198",
    "error",
    table="OC2",
    fields=["SDQ_REASON"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child has not been looked after continuously for at least 12 months at 31 March but a reason "
    "for no Strengths and Difficulties (SDQ) score has been completed.",
)
def sdq_reason_not_cla(t) -> pd.Series:
    o = t.OC2
    return present(o["SDQ_REASON"]) & ~looked_after_12_months(t, "OC2")


@rule(
    "215",
    "error",
    table="OC2",
    fields=[*OC3_ITEMS, *OC2_ITEMS],
    years=ALL_YEARS,
    needs=["OC3"],
    message="Child has care leaver information but one or more data items relating to children looked "
    "after for 12 months have been completed.",
)
def care_leaver_with_oc2(t) -> pd.Series:
    # Reported on the OC2 row (the items that should not be there).
    o = t.OC2
    return o["CHILD"].isin(children_with_oc3(t)) & any_given(o, OC2_ITEMS)


@rule(
    "344",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    message="The record shows the young person has died or returned home to live with parent(s) or someone "
    "with parental responsibility for a continuous period of 6 months or more, but activity and/or "
    "accommodation on leaving care have been completed.",
)
def died_or_home_with_activity(t) -> pd.Series:
    # "Completed" = a code other than 0; a blank ACTIV/ACCOM is rule 153's finding.
    o = t.OC3
    coded = (present(o["ACTIV"]) & (o["ACTIV"] != "0")) | (present(o["ACCOM"]) & (o["ACCOM"] != "0"))
    return o["IN_TOUCH"].isin(["DIED", "RHOM"]) & coded


@rule(
    "345",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    message="The data collection record shows the local authority is in touch with this young person, but "
    "activity and/or accommodation data items are zero.",
)
def in_touch_with_zero(t) -> pd.Series:
    o = t.OC3
    return (o["IN_TOUCH"] == "YES") & ((o["ACTIV"] == "0") | (o["ACCOM"] == "0"))


@rule(
    "347",
    "error",
    table="OC3",
    fields=["DOB", "ACCOM"],
    years=ALL_YEARS,
    message="Care leavers aged under 18 years, can not be accommodated in a Foyer.",
)
def foyer_under_18(t) -> pd.Series:
    # Foyer codes are T1/T2 (the public validator compares with "T" and never fires).
    o = t.OC3
    return o["ACCOM"].isin(FOYER) & (birthday(o["DOB"], 18) > t.collection_start)


@rule(
    "348",
    "error",
    table="OC3",
    fields=["IN_TOUCH"],
    years=[2026, 2027],
    needs=["OC3_last"],
    message="Care leaver has previously been reported as having died.",
)
def died_last_year(t) -> pd.Series:
    last = t.OC3_last
    died = ids(last.loc[last["IN_TOUCH"] == "DIED", "CHILD"].dropna().unique())
    o = t.OC3
    return o["CHILD"].isin(died) & (o["IN_TOUCH"] != "DIED")


@rule(
    "391",
    "error",
    table="OC3",
    fields=["DOB", *OC3_ITEMS],
    years=ALL_YEARS,
    message="Young person was not 17, 18, 19, 20 or 21 during the current collection year.",
)
def care_leaver_age(t) -> pd.Series:
    # Too young: not 17 by 31 March. Too old (DfE message): already 22 on 1 April.
    o = t.OC3
    too_young = birthday(o["DOB"], 17) > t.collection_end
    too_old = birthday(o["DOB"], 22) <= t.collection_start
    return oc3_given(o) & (too_young | too_old)


@rule(
    "542",
    "error",
    table="OC2",
    fields=["CONVICTED"],
    years=ALL_YEARS,
    message="A child aged under 10 at 31 March should not have conviction information completed.",
)
def convicted_under_10(t) -> pd.Series:
    o = t.OC2
    return present(o["CONVICTED"]) & (birthday(o["DOB"], 10) > t.collection_end)


@rule(
    "543",
    "error",
    table="OC2",
    fields=["DOB", "CONVICTED"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child is aged 10 or over at 31 March and has been looked after continuously for 12 months yet "
    "conviction information has not been completed.",
)
def convicted_missing(t) -> pd.Series:
    o = t.OC2
    aged_10 = birthday(o["DOB"], 10) <= t.collection_end
    return looked_after_12_months(t, "OC2") & aged_10 & ~present(o["CONVICTED"])


@rule(
    "544",
    "error",
    table="OC2",
    fields=["CONVICTED", *HEALTH_CORE],
    years=ALL_YEARS,
    message="Any child who has conviction information completed must also have immunisation, teeth check, "
    "health assessment and substance misuse problem identified fields completed.",
)
def convicted_without_health(t) -> pd.Series:
    o = t.OC2
    return (o["CONVICTED"] == "1") & any_blank(o, HEALTH_CORE)


@rule(
    "545",
    "error",
    table="OC2",
    fields=["DOB", "HEALTH_CHECK"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Child is aged under 5 at 31 March and has been looked after continuously for 12 months yet "
    "health promotion information has not been completed.",
)
def health_check_missing(t) -> pd.Series:
    o = t.OC2
    under_5 = birthday(o["DOB"], 5) > t.collection_end
    return looked_after_12_months(t, "OC2") & under_5 & ~present(o["HEALTH_CHECK"])


@rule(
    "546",
    "error",
    table="OC2",
    fields=["DOB", "HEALTH_CHECK"],
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Children aged 5 or over at 31 March should not have health promotion information completed.",
)
def health_check_over_5(t) -> pd.Series:
    o = t.OC2
    aged_5 = birthday(o["DOB"], 5) <= t.collection_end
    return looked_after_12_months(t, "OC2") & aged_5 & present(o["HEALTH_CHECK"])


@rule(
    "547",
    "error",
    table="OC2",
    fields=["HEALTH_CHECK", *HEALTH_CORE],
    years=ALL_YEARS,
    message="Any child who has health promotion information completed must also have immunisation, teeth "
    "check, health assessment and substance misuse problem identified fields completed.",
)
def health_check_without_health(t) -> pd.Series:
    o = t.OC2
    return (o["HEALTH_CHECK"] == "1") & any_blank(o, HEALTH_CORE)


@rule(
    "628",
    "error",
    table="Header",
    fields=["MOTHER"],
    years=ALL_YEARS,
    needs=["Episodes", "OC3"],
    message="Motherhood details are not required for care leavers who have not been looked after during "
    "the year.",
)
def care_leaver_mother(t) -> pd.Series:
    h = t.Header
    leaver = h["CHILD"].isin(children_with_oc3(t)) & ~h["CHILD"].isin(children_in_year(t))
    return leaver & present(h["MOTHER"])


@rule(
    "1000",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes"],
    message="This child is recorded as having died in care and therefore should not have the care leaver "
    "information completed. [NOTE: This only tests the current and previous year data loaded into "
    "the tool]",
)
def died_in_care(t) -> pd.Series:
    # Last year's episodes are used when given; the whole OC3 row is flagged, whatever it holds.
    frames = [t.Episodes, *([t.Episodes_last] if t.has("Episodes_last") else [])]
    died = pd.concat([f.loc[f["REC"] == "E2", "CHILD"] for f in frames]).dropna().unique()
    return t.OC3["CHILD"].isin(died)


@shared
def _both_years(t) -> tuple[pd.DataFrame, np.ndarray]:
    """This and last year's episodes; an episode in both files (same child and DECOM) kept as this year's.

    Also their integer child codes (see ``child_codes``), aligned to the rows: duplicates are found on those.
    """
    cols = ["CHILD", "DECOM", "DEC", "LS", "REC"]
    both = pd.concat([t.Episodes[cols], t.Episodes_last[cols]], ignore_index=True)
    codes = np.concatenate([child_codes(t)["Episodes"], child_codes(t)["Episodes_last"]])
    keep = (codes >= 0) & both["DECOM"].notna().to_numpy()  # code -1: no CHILD
    both, codes = both.loc[keep], codes[keep]
    repeated = pd.DataFrame({"CHILD": codes, "DECOM": both["DECOM"].to_numpy()}).duplicated(keep="first")
    first = ~repeated.to_numpy()
    return both.loc[first], codes[first]


def _days_after(ep: pd.DataFrame, codes: np.ndarray, dob: pd.Series, age: int, end: pd.Timestamp,
                size: int) -> np.ndarray:
    """Days in care per child after the ``age``-th birthday (an open episode runs to ``end``), indexed by
    the integer child code (``codes``: the episodes'; ``size`` codes in all), 0 for a child without."""
    since = birthday(dob, age)
    start = ep["DECOM"].where(ep["DECOM"] >= since, since)
    stop = ep["DEC"].fillna(end)
    days = (stop - start).dt.days.clip(lower=0).to_numpy(dtype="float64", na_value=0.0)
    return np.bincount(codes, weights=days, minlength=size)


@rule(
    "1001",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes", "Episodes_last"],
    message="The episodes recorded for this young person suggest they are not a relevant or a former "
    "relevant child and therefore should not have care leaver information completed. [NOTE: This "
    "tool can only test the current and previous year data loaded into the tool - this check may "
    "generate false positives if a child had episodes prior to last year's collection.]",
)
def not_relevant_child(t) -> pd.Series:
    # Days are counted as nights (DEC - DECOM). A child with no episodes in either year fails this rule too:
    # the episodes recorded (none) do not show a relevant or former relevant child. 1002 also reports them;
    # the two rules are independent.
    # Worked out on the integer child codes (see ``child_codes``): per child sums and look-ups on arrays.
    o = t.OC3
    both, both_codes = _both_years(t)
    oc3_codes = child_codes(t)["OC3"]
    judged = np.isin(both_codes, oc3_codes)  # only OC3's children are judged, each on their own episodes
    both, both_codes = both.loc[judged], both_codes[judged]
    short = both["LS"].isin(SHORT_BREAKS).to_numpy(dtype=bool)
    care, care_codes = both.loc[~short], both_codes[~short]
    dob = o["DOB"].reset_index(drop=True).reindex(first_rows(oc3_codes, care_codes)).set_axis(care.index)
    size = int(max(oc3_codes.max(initial=-1), both_codes.max(initial=-1))) + 1
    d14 = _days_after(care, care_codes, dob, 14, t.collection_end, size)
    d16 = _days_after(care, care_codes, dob, 16, t.collection_end, size)
    relevant = (d14 >= 91) & (d16 >= 1)
    # Each child's latest episode (latest DECOM; of equal ones, the last in ``both``): adopted, not relevant.
    order = np.lexsort((np.arange(len(both)), both["DECOM"].to_numpy(), both_codes))
    last = order[np.append(both_codes[order][1:] != both_codes[order][:-1], True)] if len(order) else order
    adopted = both["REC"].isin(ADOPTED).to_numpy(dtype=bool)[last]
    relevant[both_codes[last][adopted]] = False
    is_relevant = np.zeros(len(o), dtype=bool)
    known = oc3_codes >= 0
    is_relevant[known] = relevant[oc3_codes[known]]
    assessed = (birthday(o["DOB"], 20) > t.collection_end) & oc3_given(o)
    return assessed & ~pd.Series(is_relevant, index=o.index)


@rule(
    "1002",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes", "Episodes_last"],
    message="This child has no previous episodes of care, therefore should not have care leaver information "
    "recorded. [NOTE: This tool can only test the current and previous year data loaded into the "
    "tool - this check may generate false positives if a child had episodes prior to last year's "
    "collection.]",
)
def care_leaver_without_episodes(t) -> pd.Series:
    o = t.OC3
    seen = pd.concat([t.Episodes["CHILD"], t.Episodes_last["CHILD"]]).dropna().unique()
    return ~o["CHILD"].isin(seen)


@rule(
    "1007",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Care leaver information is not required for 17- or 18-year olds who are still looked after [on "
    "their 17th or 18th birthday.]",
)
def looked_after_on_birthday(t) -> pd.Index:
    # Looked after on the birthday: an episode starting on or before it and ending after it (or open). An
    # episode ending on the birthday is the usual end of care at 18, which is rule 1016's concern.
    o = t.OC3
    given = o.loc[oc3_given(o)].assign(_bday=_birthday_at_17_or_18(o, t.collection_end))
    given_codes, ep_codes = table_codes(t, "OC3", given), child_codes(t)["Episodes"]
    keep = np.isin(ep_codes, given_codes[given_codes >= 0])  # the pairs below are of these children only
    ep = t.Episodes.loc[keep]
    ep = ep.assign(_open=dates.absent(ep["DEC_raw"]))
    p = pairs(given, ["_bday"], ep, ["DECOM", "DEC", "_open"], (given_codes, ep_codes[keep]))
    spans = (p["DECOM"] <= p["_bday"]) & (p["_open"] | (p["DEC"] > p["_bday"]))
    return rows_where(p, spans)


@rule(
    "1010",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes", "Episodes_last"],
    message="This child has no episodes loaded for current year even though there was an open episode of "
    "care at the end of the previous year, and care leaver data has been entered.",
)
def open_last_year_no_episodes(t) -> pd.Series:
    last = latest_of(t, "Episodes_last")
    still_open = last.loc[dates.absent(last["DEC_raw"])]
    o = t.OC3
    return oc3_given(o) & _child_among(t, "OC3", "Episodes_last", still_open) & ~child_in(t, "OC3", "Episodes")


@rule(
    "1011",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes"],
    message="This child is recorded as having his/her care transferred to another local authority for the "
    "final episode and therefore should not have the care leaver information completed.",
)
def transferred_out(t) -> pd.Series:
    last = latest_of(t, "Episodes")
    o = t.OC3
    return oc3_given(o) & _child_among(t, "OC3", "Episodes", last.loc[last["REC"] == "E3"])


@rule(
    "1014",
    "error",
    table="UASC",
    fields=["ACTIV", "ACCOM", "IN_TOUCH", "DUC"],
    years=ALL_YEARS,
    needs=["Episodes", "OC3"],
    message="UASC information is not required for care leavers",
)
def uasc_care_leaver(t) -> pd.Series:
    # Reported on the UASC row (the information that is not required).
    u = t.UASC
    return u["CHILD"].isin(children_with_oc3(t)) & ~u["CHILD"].isin(children_in_year(t))


@rule(
    "1016",
    "error",
    table="OC3",
    fields=OC3_ITEMS,
    years=ALL_YEARS,
    needs=["Episodes"],
    message="Care leaver information is not required for 17- or 18-year olds who cease to be looked after, "
    "after their birthday.",
)
def ceased_after_birthday(t) -> pd.Series:
    o = t.OC3
    last = latest_of(t, "Episodes")
    ended = first_by_child(last, "DEC")
    dec = by_child(o["CHILD"], ended)
    return oc3_given(o) & (dec >= _birthday_at_17_or_18(o, t.collection_end))
