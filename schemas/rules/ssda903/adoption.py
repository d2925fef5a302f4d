"""SSDA903 rules on adoption (AD1), decisions to place for adoption (PlacedAdoption) and previous
permanence (PrevPerm), with the episode data they are checked against.

Where the DfE lists two tables for a rule, the row reported is the one holding the item the rule is
about (said per rule). Dates are compared as dates, never as dd/mm/yyyy strings.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from schemas.rules.ssda903.base import (
    ALL_YEARS,
    SHORT_BREAKS,
    by_child,
    child_in,
    child_stat,
    code_pairs,
    header_value,
    ids,
    looked_after_12_months,
    present,
    rule,
)
from statreturns import dates
from statreturns.reference import data_path
from statreturns.ssda903.tables import per_value

ADOPTION_PLACES = frozenset({"A3", "A4", "A5", "A6"})
ADOPTED = frozenset({"E11", "E12"})
AD1_ITEMS = ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"]
OC3_ITEMS = ["IN_TOUCH", "ACTIV", "ACCOM"]
SINGLE_ADOPTER = frozenset({"M1", "F1"})
COUPLE = frozenset({"MM", "FF", "MF"})
SAME_SEX_COUPLE = frozenset({"MM", "FF"})

# Codes accepted for LA_PERM besides the DfE LA numbers of data/reference/la_codes.csv (which keeps
# retired numbers too: an earlier order may have been made by an LA that has since merged).
LA_PERM_OTHER = frozenset({"999", "WAL", "SCO", "NUK", "NIR"})


@cache
def la_perm_codes() -> frozenset[str]:
    numbers = pd.read_csv(data_path("reference", "la_codes.csv"), dtype="str", keep_default_na=False)
    return frozenset(numbers["la_number"].str.strip().str.zfill(3)) | LA_PERM_OTHER


# --- helpers -------------------------------------------------------------------------------------------

def filled(frame: pd.DataFrame, col: str) -> pd.Series:
    """Present in the file (for a date column: the raw text, valid or not)."""
    raw = f"{col}_raw"
    return present(frame[raw] if raw in frame.columns else frame[col])


def bad_date(frame: pd.DataFrame, col: str) -> pd.Series:
    return dates.invalid(frame[f"{col}_raw"], frame[col])


def is_open(frame: pd.DataFrame, col: str) -> pd.Series:
    """No end date given at all (an unparseable end date is not 'open')."""
    return dates.absent(frame[f"{col}_raw"])


def any_filled(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series(False, index=frame.index)
    for col in cols:
        out = out | filled(frame, col)
    return out


def per_child(frame: pd.DataFrame, col: str, how: str, mask: pd.Series | None = None) -> pd.Series:
    """``how`` ('min'/'max') of ``col`` per CHILD over the rows in ``mask``; NaT/NaN are skipped."""
    f = frame if mask is None else frame[mask]
    return f.groupby("CHILD", sort=False)[col].agg(how)


def latest_rows(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Each child's row with the greatest ``by`` (rows without a value only if the child has no other)."""
    f = frame[frame["CHILD"].notna()]
    f = f.sort_values(["CHILD", by], na_position="first", kind="stable")
    return f.drop_duplicates("CHILD", keep="last").set_index("CHILD")


def children(frame: pd.DataFrame, mask: pd.Series | None = None) -> pd.Index:
    f = frame if mask is None else frame[mask]
    return ids(f["CHILD"].dropna().unique())


def pair_any(left: pd.DataFrame, right: pd.DataFrame, cond) -> pd.Series:
    """True for rows of ``left`` where ``cond`` holds for some row of ``right`` of the same child.

    ``cond`` gets the merged frame; right-hand columns that clash carry the suffix ``_r``.
    """
    return pairs_any(left, right, [cond])[0]


def pairs_any(left: pd.DataFrame, right: pd.DataFrame, conds: list) -> list[pd.Series]:
    """``pair_any`` for each of ``conds``, merging the two tables once."""
    m = _merge_on_child(left.reset_index(names="_row"), right[right["CHILD"].notna()])
    hits = (m.loc[cond(m).fillna(False).astype(bool), "_row"] for cond in conds)
    return [pd.Series(left.index.isin(hit), index=left.index) for hit in hits]


def _merge_on_child(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """``left.merge(right, on="CHILD", suffixes=("", "_r"))`` (an inner merge: rows by left row, then
    right row), pairing rows by their ids' integer codes and taking each side's rows once."""
    ids = np.concatenate([left["CHILD"].to_numpy(dtype=object), right["CHILD"].to_numpy(dtype=object)])
    codes = pd.factorize(ids)[0]  # -1 where blank: matches nothing
    li, ri = code_pairs(codes[: len(left)], codes[len(left):])
    lhs = left.iloc[li].reset_index(drop=True)
    rhs = right.drop(columns="CHILD").iloc[ri].reset_index(drop=True)
    rhs.columns = [f"{c}_r" if c in lhs.columns else c for c in rhs.columns]
    return pd.concat([lhs, rhs], axis=1)


def adopted_in_year(t) -> pd.Series:
    """Episodes ending in adoption inside the collection year."""
    ep = t.Episodes
    return ep["REC"].isin(ADOPTED) & (ep["DEC"] >= t.collection_start) & (ep["DEC"] <= t.collection_end)


# --- AD1 and PlacedAdoption: validity ------------------------------------------------------------------

@rule("112", "error", table="AD1", fields=["DATE_INT"], years=ALL_YEARS,
      message="Date should be placed for adoption is not a valid date.")
def date_int_invalid(t) -> pd.Series:
    return bad_date(t.AD1, "DATE_INT")


@rule("113", "error", table="AD1", fields=["DATE_MATCH"], years=ALL_YEARS,
      message="Date matching child and adopter(s) is not a valid date.")
def date_match_invalid(t) -> pd.Series:
    return bad_date(t.AD1, "DATE_MATCH")


@rule("114", "error", table="AD1", fields=["FOSTER_CARE"], years=ALL_YEARS,
      message="Data entry to record the status of former carer(s) of an adopted child is invalid.")
def foster_care_invalid(t) -> pd.Series:
    fc = t.AD1["FOSTER_CARE"]
    return present(fc) & ~fc.isin(["0", "1"])


@rule("115", "error", table="PlacedAdoption", fields=["DATE_PLACED"], years=ALL_YEARS,
      message="Date of Local Authority's (LA) decision that a child should be placed for adoption is not a "
              "valid date.")
def date_placed_invalid(t) -> pd.Series:
    return bad_date(t.PlacedAdoption, "DATE_PLACED")


@rule("116", "error", table="PlacedAdoption", fields=["DATE_PLACED_CEASED"], years=ALL_YEARS,
      message="Date of Local Authority's (LA) decision that a child should no longer be placed for adoption "
              "is not a valid date.")
def date_placed_ceased_invalid(t) -> pd.Series:
    return bad_date(t.PlacedAdoption, "DATE_PLACED_CEASED")


@rule("117", "error", table="PlacedAdoption", needs=["Episodes"],
      fields=["DATE_PLACED_CEASED", "DATE_PLACED", "DEC", "REC", "DECOM"], years=ALL_YEARS,
      message="Date of decision that a child should/should no longer be placed for adoption is beyond the "
              "current collection year or after the child ceased to be looked after.")
def placed_dates_after_care(t) -> pd.Series:
    # Reported on the PlacedAdoption row (the dates at fault). The child's last episode that is not an X1
    # continuation gives the date care ended (none if that episode is open).
    pa = t.PlacedAdoption
    ep = t.Episodes
    ep = ep[ep["CHILD"].isin(pa["CHILD"])]  # only these children are looked up, each on their own episodes
    last = latest_rows(ep[ep["REC"].ne("X1")], "DECOM")["DEC"]
    dec = by_child(pa["CHILD"], last)
    out = pd.Series(False, index=pa.index)
    for col in ("DATE_PLACED", "DATE_PLACED_CEASED"):
        out = out | (pa[col] > t.collection_end) | (pa[col] > dec)
    return out


@rule("118", "error", table="PlacedAdoption", needs=["Episodes"], fields=["DATE_PLACED_CEASED", "DECOM", "LS"],
      years=ALL_YEARS,
      message="Date of decision that a child should no longer be placed for adoption is before the current "
              "collection year or before the date the child started to be looked after.")
def placed_ceased_too_early(t) -> pd.Series:
    ep = t.Episodes
    first = child_stat(t, "Episodes", "DECOM", "min", "PlacedAdoption", ~ep["LS"].isin(SHORT_BREAKS))
    ceased = t.PlacedAdoption["DATE_PLACED_CEASED"]
    return (ceased < t.collection_start) | (ceased < first)


@rule("119", "error", table="PlacedAdoption", fields=["REASON_PLACED_CEASED", "DATE_PLACED_CEASED"],
      years=ALL_YEARS,
      message="If the decision is made that a child should no longer be placed for adoption, then the date of "
              "this decision and the reason why this decision was made must be completed.")
def ceased_date_and_reason(t) -> pd.Series:
    pa = t.PlacedAdoption
    return filled(pa, "DATE_PLACED_CEASED") != filled(pa, "REASON_PLACED_CEASED")


@rule("120", "error", table="PlacedAdoption", fields=["REASON_PLACED_CEASED"], years=ALL_YEARS,
      message="The reason for the reversal of the decision that the child should be placed for adoption code "
              "is not valid.")
def reason_ceased_invalid(t) -> pd.Series:
    r = t.PlacedAdoption["REASON_PLACED_CEASED"]
    return present(r) & ~r.isin(["RD1", "RD2", "RD3", "RD4"])


@rule("134", "error", table="AD1", needs=["OC3"],
      fields=["IN_TOUCH", "ACTIV", "ACCOM", *AD1_ITEMS], years=ALL_YEARS,
      message="Data on adoption should not be entered for the OC3 cohort.")
def adoption_for_care_leaver(t) -> pd.Series:
    ad1 = t.AD1
    oc3_children = children(t.OC3, any_filled(t.OC3, OC3_ITEMS))
    return any_filled(ad1, AD1_ITEMS) & ad1["CHILD"].isin(oc3_children)


@rule("151", "error", table="AD1", fields=AD1_ITEMS, years=ALL_YEARS,
      message="All data items relating to a childs adoption must be coded or left blank.")
def ad1_all_or_none(t) -> pd.Series:
    n = sum(filled(t.AD1, c).astype(int) for c in AD1_ITEMS)
    return (n > 0) & (n < len(AD1_ITEMS))


@rule("175", "error", table="AD1", fields=["NB_ADOPTR"], years=ALL_YEARS,
      message="The number of adopter(s) code is not a valid code.")
def nb_adoptr_invalid(t) -> pd.Series:
    s = t.AD1["NB_ADOPTR"]
    return present(s) & ~s.isin(["1", "2"])


@rule("176", "error", table="AD1", fields=["SEX_ADOPTR"], years=ALL_YEARS,
      message="The gender of adopter(s) at the date of adoption code is not a valid code.")
def sex_adoptr_invalid(t) -> pd.Series:
    s = t.AD1["SEX_ADOPTR"]
    return present(s) & ~s.isin(SINGLE_ADOPTER | COUPLE)


@rule("177", "error", table="AD1", fields=["LS_ADOPTR"], years=ALL_YEARS,
      message="The legal status of adopter(s) code is not a valid code.")
def ls_adoptr_invalid(t) -> pd.Series:
    s = t.AD1["LS_ADOPTR"]
    return present(s) & ~s.isin(["L0", "L11", "L12", "L2", "L3", "L4"])


@rule("184", "error", table="PlacedAdoption", needs=["Header"], fields=["DATE_PLACED", "DOB"], years=ALL_YEARS,
      message="Date of decision that a child should be placed for adoption is before the child was born.")
def placed_before_birth(t) -> pd.Series:
    return t.PlacedAdoption["DATE_PLACED"] < header_value(t, "PlacedAdoption", "DOB")


@rule("187", "error", table="Header", needs=["Episodes"], fields=[*AD1_ITEMS, *OC3_ITEMS], years=ALL_YEARS,
      message="Child cannot be looked after continuously for 12 months at 31 March (OC2) and have any of "
              "adoption or care leavers returns completed.")
def cla12_with_adoption_or_oc3(t) -> pd.Series:
    # Reported once per child on the Header, since the child may have AD1 data, OC3 data or both; each
    # of AD1 and OC3 is read only if it was supplied.
    with_data = pd.Series(False, index=t.Header.index)
    if t.has("AD1"):
        with_data |= child_in(t, "Header", "AD1", where=any_filled(t.AD1, AD1_ITEMS))
    if t.has("OC3"):
        with_data |= child_in(t, "Header", "OC3", where=any_filled(t.OC3, OC3_ITEMS))
    return looked_after_12_months(t, "Header") & with_data


# --- AD1 against episodes -------------------------------------------------------------------------------

@rule("331", "error", table="AD1", needs=["Episodes"], fields=["DATE_MATCH", "DECOM", "REC"], years=ALL_YEARS,
      message="Date of matching child and adopter(s) should be the same as, or prior to, the date of "
              "placement of adoption.")
def matched_after_placement(t) -> pd.Series:
    ep = t.Episodes
    adoption_eps = ep.loc[ep["REC"].isin(ADOPTED), ["CHILD", "DECOM"]]
    return pair_any(t.AD1, adoption_eps, lambda m: m["DATE_MATCH"] > m["DECOM"])


@rule("333", "error", table="AD1", fields=["DATE_INT"], years=ALL_YEARS,
      message="Date should be placed for adoption must be on or prior to the date of matching child with "
              "adopter(s).")
def date_int_after_match(t) -> pd.Series:
    ad1 = t.AD1
    return filled(ad1, "DATE_MATCH") & (~filled(ad1, "DATE_INT") | (ad1["DATE_INT"] > ad1["DATE_MATCH"]))


@rule("334", "error", table="AD1", needs=["Episodes"], fields=["DATE_INT", "DECOM", "RNE"], years=ALL_YEARS,
      message="Date child started to be looked after in latest period of care must be on or prior to the date "
              "should be placed for adoption.")
def date_int_before_care(t) -> pd.Series:
    latest_start = child_stat(t, "Episodes", "DECOM", "max", "AD1", t.Episodes["RNE"].eq("S"))
    return t.AD1["DATE_INT"] < latest_start


@rule("335", "error", table="AD1", needs=["Episodes"], fields=["PLACE", "FOSTER_CARE"], years=ALL_YEARS,
      message="The current foster value (0) suggests that child is not adopted by current foster carer, but "
              "last placement is A2, A3, or A5. Or the current foster value (1) suggests that child is adopted "
              "by current foster carer, but last placement is A1, A4 or A6.")
def foster_care_vs_placement(t) -> pd.Series:
    # Fires only on a contradicting FOSTER_CARE value (the DfE text): blanks are 151's, bad codes 114's.
    ep = t.Episodes
    adoption_eps = ep.loc[ep["REC"].isin(ADOPTED | {"E1"}), ["CHILD", "PLACE"]]

    def contradicts(m: pd.DataFrame) -> pd.Series:
        with_carer = m["PLACE"].isin(["A2", "A3", "A5"]) & m["FOSTER_CARE"].eq("0")
        not_carer = m["PLACE"].isin(["A1", "A4", "A6"]) & m["FOSTER_CARE"].eq("1")
        return with_carer | not_carer

    return pair_any(t.AD1, adoption_eps, contradicts)


def _sex_not_in(t, legal_status: str, allowed: frozenset[str]) -> pd.Series:
    ad1 = t.AD1
    return ad1["LS_ADOPTR"].eq(legal_status) & present(ad1["SEX_ADOPTR"]) & ~ad1["SEX_ADOPTR"].isin(allowed)


@rule("511", "error", table="AD1", fields=["NB_ADOPTR", "SEX_ADOPTR"], years=ALL_YEARS,
      message="If reporting that the number of person(s) adopting the looked after child is two adopters then "
              "the code should only be MM, FF or MF. MM = the adopting couple are both males; FF = the "
              "adopting couple are both females; MF = The adopting couple are male and female.")
def two_adopters_not_couple(t) -> pd.Series:
    ad1 = t.AD1
    return ad1["NB_ADOPTR"].eq("2") & present(ad1["SEX_ADOPTR"]) & ~ad1["SEX_ADOPTR"].isin(COUPLE)


@rule("514", "error", table="AD1", fields=["LS_ADOPTR", "SEX_ADOPTR"], years=ALL_YEARS,
      message="Data entry on the legal status of adopters shows a single adopter but data entry for the "
              "numbers of adopters shows it as a couple.")
def single_status_couple_sex(t) -> pd.Series:
    return _sex_not_in(t, "L0", SINGLE_ADOPTER)


@rule("517", "error", table="AD1", fields=["LS_ADOPTR", "SEX_ADOPTR"], years=ALL_YEARS,
      message="If reporting legal status of adopters is L3 then the genders of adopters should be coded as MF. "
              "MF = the adopting couple are male and female.")
def l3_not_mf(t) -> pd.Series:
    return _sex_not_in(t, "L3", frozenset({"MF"}))


@rule("518", "error", table="AD1", fields=["LS_ADOPTR", "SEX_ADOPTR"], years=ALL_YEARS,
      message="If reporting legal status of adopters is L4 then the genders of adopters should be coded as MM "
              "or FF. MM = the adopting couple are both males. FF = the adopting couple are both females.")
def l4_not_same_sex(t) -> pd.Series:
    return _sex_not_in(t, "L4", SAME_SEX_COUPLE)


@rule("519", "error", table="AD1", fields=["LS_ADOPTR", "SEX_ADOPTR"], years=ALL_YEARS,
      message="Data entered on the legal status of adopters shows civil partnership couple, but data entered "
              "on genders of adopters does not show it as a couple.")
def l2_not_couple(t) -> pd.Series:
    return _sex_not_in(t, "L2", COUPLE)


@rule("520", "error", table="AD1", fields=["LS_ADOPTR", "SEX_ADOPTR"], years=ALL_YEARS,
      message="Data entry on the legal status of adopters shows different gender married couple but data "
              "entry on genders of adopters shows it as a same gender couple.")
def l11_not_mf(t) -> pd.Series:
    return _sex_not_in(t, "L11", frozenset({"MF"}))


@rule("521", "error", table="AD1", needs=["Episodes"], fields=["PLACE", "DECOM", "DATE_INT"], years=ALL_YEARS,
      message="Date of local authority's decision (LA) that adoption is in the best interests of the child "
              "(date should be placed) must be on or prior to the date the child is placed for adoption.")
def date_int_after_adoption_placement(t) -> pd.Series:
    first_placed = child_stat(t, "Episodes", "DECOM", "min", "AD1", t.Episodes["PLACE"].isin(ADOPTION_PLACES))
    return t.AD1["DATE_INT"] > first_placed


@rule("522", "error", table="PlacedAdoption", fields=["DATE_PLACED", "DATE_PLACED_CEASED"], years=ALL_YEARS,
      message="Date of decision that the child should be placed for adoption must be on or before the date "
              "that a child should no longer be placed for adoption.")
def ceased_before_placed(t) -> pd.Series:
    pa = t.PlacedAdoption
    return pa["DATE_PLACED_CEASED"] < pa["DATE_PLACED"]


@rule("523", "error", table="AD1", needs=["PlacedAdoption"], fields=["DATE_PLACED", "DATE_INT"],
      years=ALL_YEARS,
      message="Date of decision that the child should be placed for adoption should be the same date as the "
              "decision that adoption is in the best interest (date should be placed).")
def date_int_not_date_placed(t) -> pd.Series:
    # Compared with the child's latest decision, the one in force when the child was adopted; an earlier,
    # reversed decision may legitimately carry another date.
    latest = per_child(t.PlacedAdoption, "DATE_PLACED", "max")
    other = by_child(t.AD1["CHILD"], latest)
    return t.AD1["DATE_INT"].notna() & other.notna() & (t.AD1["DATE_INT"] != other)


@rule("524", "error", table="AD1", fields=["LS_ADOPTR", "SEX_ADOPTR"], years=ALL_YEARS,
      message="If reporting legal status of adopters is L12 then the genders of adopters should be coded as MM "
              "or FF. MM = the adopting couple are both males. FF = the adopting couple are both females")
def l12_not_same_sex(t) -> pd.Series:
    return _sex_not_in(t, "L12", SAME_SEX_COUPLE)


def _all_decisions_ceased(pa: pd.DataFrame) -> pd.Index:
    """Children whose every PlacedAdoption row shows the decision as reversed (date ceased given)."""
    ceased = filled(pa, "DATE_PLACED_CEASED")
    return children(pa, ceased).difference(children(pa, ~ceased))


@rule("525", "error", table="AD1", needs=["PlacedAdoption"], fields=["DATE_PLACED_CEASED", *AD1_ITEMS],
      years=ALL_YEARS,
      message="A child for whom the decision to be placed for adoption has been reversed cannot be adopted "
              "during the year.")
def adopted_after_reversal(t) -> pd.Series:
    # "Reversed" = no decision left in force: a reversed decision followed by a new one is not an error.
    ad1 = t.AD1
    return any_filled(ad1, AD1_ITEMS) & ad1["CHILD"].isin(_all_decisions_ceased(t.PlacedAdoption))


# --- PlacedAdoption against episodes --------------------------------------------------------------------

@rule("551", "error", table="Episodes", needs=["PlacedAdoption"], fields=["DATE_PLACED", "PLACE"],
      years=ALL_YEARS,
      message="Child has been placed for adoption but there is no date of the decision that the child should "
              "be placed for adoption.")
def adoption_placement_without_decision(t) -> pd.Series:
    pa = t.PlacedAdoption
    ep = t.Episodes
    return ep["PLACE"].isin(ADOPTION_PLACES) & ~ep["CHILD"].isin(children(pa, filled(pa, "DATE_PLACED")))


@rule("552", "error", table="PlacedAdoption", needs=["Episodes"], fields=["DATE_PLACED", "DECOM"],
      years=ALL_YEARS,
      message="Date of Decision to place a child for adoption should be on or prior to the date that the "
              "child was placed for adoption.")
def latest_decision_after_placement(t) -> pd.Series:
    # Reported on the row holding the child's latest DATE_PLACED.
    pa = t.PlacedAdoption
    first_placed = child_stat(t, "Episodes", "DECOM", "min", "PlacedAdoption",
                              t.Episodes["PLACE"].isin(ADOPTION_PLACES))
    is_latest = pa["DATE_PLACED"] == child_stat(t, "PlacedAdoption", "DATE_PLACED", "max", "PlacedAdoption")
    return is_latest & (pa["DATE_PLACED"] > first_placed)


def _ceased(pa: pd.DataFrame) -> pd.Series:
    return filled(pa, "DATE_PLACED_CEASED") | filled(pa, "REASON_PLACED_CEASED")


@rule("553", "error", table="Episodes", needs=["PlacedAdoption"],
      fields=["CHILD", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"], years=ALL_YEARS,
      message="Placement order has been granted but there is no date of decision that the child should be "
              "placed for adoption.")
def placement_order_without_decision(t) -> pd.Series:
    # An open E1 episode fails when no decision of the child is still in force (every row ceased).
    ep = t.Episodes
    pa = t.PlacedAdoption
    e1 = ep["LS"].eq("E1")
    in_force = children(pa, ~_ceased(pa))
    return e1 & (~ep["CHILD"].isin(children(pa)) | (is_open(ep, "DEC") & ~ep["CHILD"].isin(in_force)))


@rule("554", "error", table="PlacedAdoption", needs=["Episodes"], fields=["DATE_PLACED", "DECOM", "LS"],
      years=ALL_YEARS,
      message="Date of decision that the child should be placed for adoption should be on or prior to the date "
              "that the placement order was granted. [NOTE: This rule may result in false positives or false "
              "negatives if relevant episodes are in previous years; please check carefully!]")
def decision_after_placement_order(t) -> pd.Series:
    first_e1 = child_stat(t, "Episodes", "DECOM", "min", "PlacedAdoption", t.Episodes["LS"].eq("E1"))
    return t.PlacedAdoption["DATE_PLACED"] > first_e1


@rule("557", "error", table="Episodes", needs=["PlacedAdoption"],
      fields=["DATE_PLACED_CEASED", "REASON_PLACED_CEASED", "PLACE", "LS", "REC"], years=ALL_YEARS,
      message="Child for whom the decision was made that they should be placed for adoption has left care but "
              "was not adopted and information on the decision that they should no longer be placed for "
              "adoption items has not been completed.")
def left_care_not_adopted_decision_open(t) -> pd.Series:
    ep = t.Episodes
    pa = t.PlacedAdoption
    left = present(ep["REC"]) & ~ep["REC"].isin(ADOPTED | {"X1"})
    in_plan = ep["PLACE"].isin(ADOPTION_PLACES) | ep["LS"].eq("E1")
    complete = filled(pa, "DATE_PLACED_CEASED") & filled(pa, "REASON_PLACED_CEASED")
    return left & in_plan & ~ep["CHILD"].isin(children(pa, complete))


@rule("558", "error", table="PlacedAdoption", needs=["Episodes"], fields=["DATE_PLACED_CEASED", "REC"],
      years=ALL_YEARS,
      message="If a child has been adopted, then the decision to place them for adoption has not been "
              "disrupted and the date of the decision that a child should no longer be placed for adoption "
              "should be left blank.")
def adopted_but_decision_ceased(t) -> pd.Series:
    # Borderline (issue #11): the DfE condition needs MORE THAN ONE ceased decision (every PlacedAdoption
    # row of the adopted child carries a DATE_PLACED_CEASED, and there are at least two); the message reads
    # as if one were enough. We follow the condition, which is what the DfE's own check reports: an adopted
    # child whose only decision was ceased is not 558's (rule 525 reports that child when AD1 is given, and
    # 601 asks for AD1). The ceased rows of such a child are reported.
    ep = t.Episodes
    pa = t.PlacedAdoption
    adopted = children(ep, ep["REC"].isin(ADOPTED))
    ceased = filled(pa, "DATE_PLACED_CEASED")
    per_child = pa.loc[ceased & pa["CHILD"].notna(), "CHILD"].value_counts()
    several = ids(per_child.index[(per_child > 1).to_numpy()])
    flagged = adopted.intersection(_all_decisions_ceased(pa)).intersection(several)
    return ceased & pa["CHILD"].isin(flagged)


# --- PlacedAdoption against last year -------------------------------------------------------------------

def decision_ceased(pa: pd.DataFrame) -> pd.Series:
    """Rows recording that the decision to place for adoption changed: DATE_PLACED_CEASED *or*
    REASON_PLACED_CEASED given.

    Borderline (issue #11, rules 560, 561 and 584 on last year's rows): either item is a record that the
    decision ceased; a row with only one of the two was rule 119's error, and is not read as a decision
    still in force. A row with neither is open.
    """
    return filled(pa, "DATE_PLACED_CEASED") | filled(pa, "REASON_PLACED_CEASED")


def _same_child_date(pa: pd.DataFrame, last: pd.DataFrame) -> pd.Series:
    """Rows of ``pa`` whose (CHILD, DATE_PLACED) also appears in ``last``."""
    keys = last.loc[last["DATE_PLACED"].notna() & last["CHILD"].notna(), ["CHILD", "DATE_PLACED"]]
    return pair_any(pa, keys, lambda m: m["DATE_PLACED"] == m["DATE_PLACED_r"])


@rule("559", "error", table="PlacedAdoption", needs=["PlacedAdoption_last"], fields=["DATE_PLACED"],
      years=ALL_YEARS,
      message="Date of decision that a child should be placed for adoption was not in the current year but the "
              "date of the decision that the child should be placed for adoption was not completed in a "
              "previous return.")
def old_decision_not_reported_last_year(t) -> pd.Series:
    pa = t.PlacedAdoption
    return (pa["DATE_PLACED"] < t.collection_start) & ~_same_child_date(pa, t.PlacedAdoption_last)


@rule("560", "error", table="PlacedAdoption", needs=["PlacedAdoption_last"],
      fields=["DATE_PLACED", "DATE_PLACED_CEASED"], years=ALL_YEARS,
      message="Date of decision that the child should be placed for adoption this year is different from that "
              "recorded last year but the decision to place the child for adoption did not change.")
def open_decision_date_changed(t) -> pd.Series:
    # A child with a decision in force at the end of last year must carry that same date in some row this
    # year; if none does, the child's dated rows are reported.
    last = t.PlacedAdoption_last
    open_last = last[~decision_ceased(last)]
    pa = t.PlacedAdoption
    kept = children(pa, _same_child_date(pa, open_last))
    expected = children(open_last, open_last["DATE_PLACED"].notna())
    return pa["DATE_PLACED"].notna() & pa["CHILD"].isin(expected.difference(kept))


@rule("561", "error", table="PlacedAdoption", needs=["PlacedAdoption_last"], fields=["DATE_PLACED"],
      years=ALL_YEARS,
      message="Date of the decision that the child should be placed for adoption this year is the same as "
              "that recorded last year but records show that the decision changed, and the child should no "
              "longer be placed for adoption last year.")
def ceased_decision_repeated(t) -> pd.Series:
    # Last year's decision ceased: DATE_PLACED_CEASED or REASON_PLACED_CEASED given (see decision_ceased).
    last = t.PlacedAdoption_last
    return _same_child_date(t.PlacedAdoption, last[decision_ceased(last)])


@rule("563", "error", table="PlacedAdoption", fields=["DATE_PLACED", "REASON_PLACED_CEASED", "DATE_PLACED_CEASED"],
      years=ALL_YEARS,
      message="The child should no longer be placed for adoption but the date of the decision that the child "
              "should be placed for adoption is blank")
def ceased_without_placed(t) -> pd.Series:
    pa = t.PlacedAdoption
    ceased = filled(pa, "DATE_PLACED_CEASED") & filled(pa, "REASON_PLACED_CEASED")
    return ceased & ~filled(pa, "DATE_PLACED")


@rule("579", "error", table="PlacedAdoption", fields=["DATE_PLACED", "DATE_PLACED_CEASED"], years=ALL_YEARS,
      message="A new decision that the child should be placed for adoption this year cannot start when the "
              "previous decision is still open. Decisions to place the child for adoption should also not "
              "overlap. The date of any new decision to place the child for adoption must not be before the "
              "date placed ceased of previous decisions.")
def decisions_overlap(t) -> pd.Series:
    pa = t.PlacedAdoption
    f = pa[pa["DATE_PLACED"].notna() & pa["CHILD"].notna()].sort_values(["CHILD", "DATE_PLACED"], kind="stable")
    g = f.groupby("CHILD", sort=False)
    prev_ceased = g["DATE_PLACED_CEASED"].shift()
    prev_open = g["DATE_PLACED_CEASED_raw"].shift().pipe(dates.blank) & g.cumcount().gt(0)
    bad = prev_open | (f["DATE_PLACED"] < prev_ceased)
    return bad.reindex(pa.index, fill_value=False)


@rule("582", "error", table="AD1", needs=["Episodes"], fields=["DEC", "DATE_MATCH"], years=ALL_YEARS,
      message="Child is showing as ceasing to be looked after due to adoption, but the date of adoption is the "
              "same as the date reported for being matched with adopters. In most circumstances we expect the "
              "date the child is matched with adopters to be before the date of adoption.")
def matched_on_adoption_day(t) -> pd.Series:
    ep = t.Episodes
    adoptions = ep.loc[ep["REC"].isin(ADOPTED), ["CHILD", "DEC"]]
    return pair_any(t.AD1, adoptions, lambda m: m["DATE_MATCH"] == m["DEC"])


@rule("583", "error", table="PlacedAdoption", fields=["DATE_PLACED", "DATE_PLACED_CEASED"], years=ALL_YEARS,
      message="More than one date the child should be placed for adoption has been reported, but an earlier "
              "decision has not been revoked. Check that both dates are required and add in the date the "
              "earlier decision was revoked. Note this may be in a previous year.")
def earlier_decision_not_revoked(t) -> pd.Series:
    # Ordered by date, not by the dd/mm/yyyy text (the public validator's slip).
    pa = t.PlacedAdoption
    latest = by_child(pa["CHILD"], per_child(pa, "DATE_PLACED", "max"))
    return (pa["DATE_PLACED"] < latest) & ~filled(pa, "DATE_PLACED_CEASED")


@rule("584", "error", table="PlacedAdoption", needs=["PlacedAdoption_last"], fields=["DATE_PLACED"],
      years=ALL_YEARS,
      message="Date of decision that the child should be placed for adoption this year is different from that "
              "recorded last year, but the decision to placed the child for adoption changed and the child "
              "should no longer be placed for adoption.")
def new_decision_not_after_ceased(t) -> pd.Series:
    # Last year's latest decision had ceased (DATE_PLACED_CEASED or REASON_PLACED_CEASED given, see
    # decision_ceased): each row this year needs a DATE_PLACED later than it.
    last = latest_rows(t.PlacedAdoption_last, "DATE_PLACED")
    ceased_date = last.loc[decision_ceased(last) & last["DATE_PLACED"].notna(), "DATE_PLACED"]
    pa = t.PlacedAdoption
    before = by_child(pa["CHILD"], ceased_date)
    return before.notna() & (~filled(pa, "DATE_PLACED") | (pa["DATE_PLACED"] <= before))


@rule("601", "error", table="Episodes", needs=["AD1"], fields=["REC", *AD1_ITEMS], years=ALL_YEARS,
      message="The additional fields relating to adoption have not been completed although the episode data "
              "shows that the child was adopted during the year.")
def adopted_without_ad1(t) -> pd.Series:
    ad1 = t.AD1
    complete = pd.Series(True, index=ad1.index)
    for col in AD1_ITEMS:
        complete = complete & filled(ad1, col)
    ep = t.Episodes
    return adopted_in_year(t) & ~ep["CHILD"].isin(children(ad1, complete))


@rule("602", "error", table="AD1", needs=["Episodes"], fields=["CHILD"], years=ALL_YEARS,
      message="The episode data submitted for this child does not show that he/she was adopted during the "
              "year.")
def ad1_without_adoption(t) -> pd.Series:
    ad1 = t.AD1
    adopted = children(t.Episodes, adopted_in_year(t))
    return any_filled(ad1, AD1_ITEMS) & ~ad1["CHILD"].isin(adopted)


# --- PrevPerm -------------------------------------------------------------------------------------------

@rule("630", "error", table="Episodes", needs=["PrevPerm"], fields=["RNE"], years=ALL_YEARS,
      message="Information on previous permanence option should be returned.")
def started_care_without_prev_perm(t) -> pd.Series:
    pp = t.PrevPerm
    perm = pp["PREV_PERM"]
    complete = present(perm) & (perm.eq("Z1") | (filled(pp, "LA_PERM") & filled(pp, "DATE_PERM")))
    ep = t.Episodes
    started = ep["RNE"].eq("S") & (ep["DECOM"] >= t.collection_start)
    return started & ~ep["CHILD"].isin(children(pp, complete))


@rule("631", "error", table="PrevPerm", fields=["PREV_PERM"], years=ALL_YEARS,
      message="Previous permanence option not a valid value.")
def prev_perm_invalid(t) -> pd.Series:
    s = t.PrevPerm["PREV_PERM"]
    return present(s) & ~s.isin(["P1", "P2", "P3", "P4", "Z1"])


# DATE_PERM: the DfE guide lets the unknown elements of the date of a previous permanence order be written as
# Z's: ZZ for the day or the month, ZZZZ for the year, so ZZ/ZZ/ZZZZ for a wholly unknown date (lac_rules.csv,
# 632). Such a value is valid when some real date fits its known parts (29/02/ZZZZ does: a leap year).
DATE_PERM_PATTERN = r"^(\d{2}|ZZ)/(\d{2}|ZZ)/(\d{4}|ZZZZ)$"
LEAP_YEAR = "2000"


def _date_perm_earliest(pp: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(valid, earliest possible date) of DATE_PERM; the earliest date is NaT where the year is unknown."""
    def possible(raw: pd.Series, unknown_year: str | None) -> pd.Series:
        parts = raw.astype("str").str.strip().str.upper().str.extract(DATE_PERM_PATTERN)
        day = parts[0].replace("ZZ", "01")
        month = parts[1].replace("ZZ", "01")
        year = parts[2] if unknown_year is None else parts[2].replace("ZZZZ", unknown_year)
        return dates.parse(day + "/" + month + "/" + year, dates.UK)

    # Worked out once per distinct raw value: the regular expressions are the cost. With ZZZZ the first
    # parse fails (not compared); the second, in a leap year, says whether the known day and month can be.
    earliest, fits = per_value(pp["DATE_PERM_raw"], lambda raw: possible(raw, None),
                               lambda raw: possible(raw, LEAP_YEAR))
    valid = fits.notna()
    return valid, earliest.where(valid)


@rule("632", "error", table="PrevPerm", needs=["Episodes"], fields=["DATE_PERM", "DECOM"], years=ALL_YEARS,
      message="Date of previous permanence order not a valid value. NOTE: This rule may result in false "
              "negatives where the period of care started before the current collection year")
def date_perm_invalid(t) -> pd.Series:
    # Fails when given and not a date (Z's allowed for unknown parts), or when the order was certainly not
    # before the child's first episode in the return: its earliest possible date is on or after that
    # DECOM. A date with an unknown year (ZZZZ, ZZ/ZZ/ZZZZ included) is not compared.
    pp = t.PrevPerm
    valid, earliest = _date_perm_earliest(pp)
    first = child_stat(t, "Episodes", "DECOM", "min", "PrevPerm")
    return (filled(pp, "DATE_PERM") & ~valid) | (earliest >= first)


@rule("633", "error", table="PrevPerm", fields=["LA_PERM"], years=ALL_YEARS,
      message="Local authority code where previous permanence option was arranged is not a valid value.")
def la_perm_invalid(t) -> pd.Series:
    s = t.PrevPerm["LA_PERM"]
    return present(s) & ~s.isin(la_perm_codes())


@rule("634", "error", table="PrevPerm", needs=["Episodes"], fields=["LA_PERM", "PREV_PERM", "DATE_PERM", "DECOM"],
      years=ALL_YEARS,
      message="There are entries for previous permanence options, but child has not started to be looked after "
              "from 1 April 2016 onwards.")
def prev_perm_for_child_not_starting(t) -> pd.Series:
    pp = t.PrevPerm
    latest = child_stat(t, "Episodes", "DECOM", "max", "PrevPerm")
    return any_filled(pp, ["LA_PERM", "PREV_PERM", "DATE_PERM"]) & (latest < t.collection_start)


@rule("635", "error", table="PrevPerm", fields=["LA_PERM", "DATE_PERM", "PREV_PERM"], years=ALL_YEARS,
      message="There are entries for date of order and local authority code where previous permanence option "
              "was arranged but previous permanence code is Z1")
def order_details_without_option(t) -> pd.Series:
    # The DfE text names Z1; the public validator tests a blank PREV_PERM. Both contradict the details given.
    pp = t.PrevPerm
    perm = pp["PREV_PERM"]
    return any_filled(pp, ["LA_PERM", "DATE_PERM"]) & (~present(perm) | perm.eq("Z1"))


@rule("1003", "error", table="PlacedAdoption", needs=["Episodes"], fields=["DATE_PLACED", "DECOM", "RNE"],
      years=ALL_YEARS,
      message="Date of LA's decision that a child should be placed for adoption is before the child started to "
              "be looked after.")
def decision_before_care(t) -> pd.Series:
    first_start = child_stat(t, "Episodes", "DECOM", "min", "PlacedAdoption", t.Episodes["RNE"].eq("S"))
    return t.PlacedAdoption["DATE_PLACED"] < first_start
