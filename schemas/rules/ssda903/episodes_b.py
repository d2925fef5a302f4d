"""SSDA903 rules on the Episodes table, codes 381 to 1015.

Many read the Header as well; some need last year's Episodes (``Episodes_last``), the postcode
derivations (pseudo-table ``Postcodes``: PL_LA, PL_LOCATION, PL_DISTANCE, *_POST_valid) or the Ofsted
provider lists. Rules 445 and 451 were deleted from 2024/25 and are not registered here.

Sequence rules compare an episode with the child's previous or next episode, ordered by DECOM (file
order on ties). A child with any blank or unparseable DECOM cannot be put in order, so sequence rules
pass over that child only: one bad date never raises and never silences a rule for other children.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.rules.ssda903.base import (
    ALL_YEARS,
    birthday,
    blank_in,
    child_codes,
    child_in,
    child_value,
    header_value,
    isin,
    present,
    present_in,
    rule,
    shared,
)
from statreturns import dates
from statreturns.ssda903.postcodes import la_gss_code
from statreturns.ssda903.tables import SUBMITTING_LA, per_value

SHORT_BREAK = ["V3", "V4"]
TEMPORARY = ["T0", "T1", "T2", "T3", "T4"]
ADOPTION_PLACE = ["A3", "A4", "A5", "A6"]
FOSTER_PLACE = ["U1", "U2", "U3", "U4", "U5", "U6"]
Z_SPLIT = ["Z11", "Z12", "Z13", "Z14"]
ADOPTED = ["E11", "E12"]
CONTINUATION_RNE = ["P", "L", "T", "U", "B"]
PLACEMENT_COLUMNS = ["PLACE", "PL_POST", "URN", "PLACE_PROVIDER"]
REASON_PLACE_CHANGE = ["CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ",
                       "PLACE", "CUSTOD", "OTHER"]
# Placement types that take no provider (526): Z1 until 2024/25, its split Z11-Z14 from 2025/26.
NO_PROVIDER = {2025: [*TEMPORARY, "Z1"], 2026: [*TEMPORARY, *Z_SPLIT], 2027: [*TEMPORARY, *Z_SPLIT]}
# Own-provision placements that may lie outside the LA (1015). The 2025/26 version adds K3.
OWN_LA_EXEMPT = {2025: [*ADOPTION_PLACE, *FOSTER_PLACE], 2026: [*ADOPTION_PLACE, *FOSTER_PLACE, "K3"],
                 2027: [*ADOPTION_PLACE, *FOSTER_PLACE, "K3"]}
# Recodings allowed between last year's open episode and this year's first one (503D): "last>now".
PLACE_RECODES = {2025: {"H5>K3"}, 2026: {f"Z1>{z}" for z in Z_SPLIT}, 2027: set()}
OPEN_LAST_YEAR = ["Episodes_last"]


# ---- shared helpers ---------------------------------------------------------------------------------

def _order(t, name: str) -> pd.Index:
    """Labels of the orderable episodes of ``t[name]``, by child then DECOM (file order on ties).

    A child with any episode whose DECOM is blank or not a date cannot be ordered and is left out.
    """
    def build() -> pd.Index:
        ep = t[name]
        keep = ep["CHILD"].notna() & ~child_in(t, name, name, where=ep["DECOM"].isna())
        return ep.loc[keep, "EPISODE_ORDER"].sort_values().index

    return t.memo(f"episodes_b.order:{name}", build)


def _neighbour_labels(t, name: str, step: int) -> pd.Series:
    """For each episode, the label of the same child's episode ``step`` places before (negative: after)."""
    def build() -> pd.Series:
        order = _order(t, name)
        labels = pd.Series(order, index=order, dtype="float64")
        child = t[name].loc[order, "CHILD"].to_numpy()
        # Each child's episodes are contiguous in ``order``: a plain shift, kept where the child is the same.
        same = child == np.roll(child, step) if len(child) else np.zeros(0, dtype=bool)
        return labels.shift(step).where(same).reindex(t[name].index)

    return t.memo(f"episodes_b.neighbour:{name}:{step}", build)


def _neighbour(t, name: str, cols: list[str], step: int = 1) -> pd.DataFrame:
    """``cols`` of the episode ``step`` places before (negative: after) each episode of the same child.

    Aligned to ``t[name].index``; column ``_has`` is True where that episode exists.
    """
    ep = t[name]
    other = _neighbour_labels(t, name, step)
    values = ep[cols].reindex(other.to_numpy()).set_axis(ep.index)
    return values.assign(_has=other.notna())


def _edge(t, name: str, step: int) -> pd.Series:
    """True on each orderable child's first (step=1) or last (step=-1) episode."""
    def build() -> pd.Series:
        ordered = pd.Series(t[name].index.isin(_order(t, name)), index=t[name].index)
        return ordered & _neighbour_labels(t, name, step).isna()

    return t.memo(f"episodes_b.edge:{name}:{step}", build)


def _is_first(t, name: str = "Episodes") -> pd.Series:
    return _edge(t, name, 1)


def _is_last(t, name: str = "Episodes") -> pd.Series:
    return _edge(t, name, -1)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Equal, counting two blanks as equal."""
    return (a == b).fillna(False).astype(bool) | (a.isna() & b.isna())


def _post(s: pd.Series) -> pd.Series:
    """Postcodes compared without spaces or case (worked out once per distinct postcode)."""
    return per_value(s, lambda v: v.astype("str").str.replace(r"\s+", "", regex=True).str.upper()
                     .where(present(v)))[0]


@shared
def _post_of(t, name: str, column: str) -> pd.Series:
    """``_post(t[name][column])``, worked out once per run."""
    return _post(t[name][column])


def _neighbour_post(t, name: str, step: int) -> pd.Series:
    """``_post`` of the PL_POST of the episode ``step`` places before (negative: after), as ``_neighbour``."""
    labels = _neighbour_labels(t, name, step)
    return _post_of(t, name, "PL_POST").reindex(labels.to_numpy()).set_axis(t[name].index)


@shared
def _placement_changed(t) -> pd.Series:
    """Any of PLACE, PL_POST, URN, PLACE_PROVIDER differs from the child's previous episode."""
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["PLACE", "URN", "PLACE_PROVIDER"], 1)
    changed = ~_same(_post_of(t, "Episodes", "PL_POST"), _neighbour_post(t, "Episodes", 1))
    for col in ["PLACE", "URN", "PLACE_PROVIDER"]:
        changed |= ~_same(ep[col], prev[col])
    return changed


def _uasc(t) -> pd.Series:
    """Episodes of children who are UASC this year or were UASC last year (where last year is loaded)."""
    header = t.Header
    children = header.loc[header["UASC"] == "1", "CHILD"]
    if t.has("UASC_last"):
        children = pd.concat([children, t.UASC_last["CHILD"]])
    return isin(t.Episodes["CHILD"], children)


def _distance(ep: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(ep["PL_DISTANCE"], errors="coerce")


def _carried_over(t, cols: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    """This year's first episode of each child whose latest episode last year was still open.

    Returns that mask and last year's ``cols`` for the child, both aligned to this year's Episodes.
    Open means DEC left blank; an unparseable DEC is not taken as open. Built once for all rules.
    """
    mask, rows = t.memo("episodes_b.carried_over", lambda: _build_carried_over(t))
    carried = t.Episodes_last[cols].reset_index(drop=True).reindex(rows).set_axis(t.Episodes.index)
    return mask, carried


def _build_carried_over(t) -> tuple[pd.Series, np.ndarray]:
    """The mask, and for each of this year's episodes the position in last year's Episodes of the
    child's latest episode there if it was still open (-1: none), matched on the integer child codes."""
    last = t.Episodes_last
    still_open = (_is_last(t, "Episodes_last") & dates.absent(last["DEC_raw"])).to_numpy(dtype=bool)
    codes = child_codes(t)
    open_rows = np.flatnonzero(still_open)
    open_codes = codes["Episodes_last"][open_rows]  # a latest episode always has a CHILD: codes >= 0
    slot = np.full(int(max(codes["Episodes"].max(initial=-1), open_codes.max(initial=-1))) + 2, -1)
    slot[open_codes] = open_rows
    rows = slot[codes["Episodes"]]  # a blank id (-1) takes the last slot: -1
    rows.setflags(write=False)
    return _is_first(t) & pd.Series(rows >= 0, index=t.Episodes.index), rows


def _distance_moved(now: pd.Series, before: pd.Series, limit: float, inclusive: bool) -> pd.Series:
    """Distance differs by more than ``limit`` miles (or by ``limit`` exactly, if inclusive), or newly there."""
    gap = (now - before).abs().round(1)
    beyond = gap >= limit if inclusive else gap > limit
    return beyond.fillna(False).astype(bool) | (now.notna() & before.isna())


# ---- rules, in code order -----------------------------------------------------------------------------

@rule("381", "error", table="Episodes", fields=["PLACE", "REC"], years=ALL_YEARS,
      message="A period of care cannot end with a temporary placement.")
def care_ends_in_temporary_placement(t) -> pd.Series:
    ep = t.Episodes
    return ep["PLACE"].isin(TEMPORARY) & present(ep["REC"]) & (ep["REC"] != "X1")


@rule("382", "error", table="Episodes", fields=["LS", "PLACE"], years=ALL_YEARS,
      message="A child receiving respite care cannot be in a temporary placement.")
def short_break_temporary(t) -> pd.Series:
    ep = t.Episodes
    return ep["LS"].isin(SHORT_BREAK) & ep["PLACE"].isin(TEMPORARY)


@rule("383", "error", table="Episodes", fields=["PLACE", "RNE", "PL_POST"], years=ALL_YEARS,
      message="A child in a temporary placement must subsequently return to his/her normal placement.")
def temporary_not_returned(t) -> pd.Series:
    # Flags the episode after the temporary one. The placement before the temporary one is compared
    # only where there is one; a child whose first episode is temporary is checked on RNE alone.
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["PLACE"], 1)
    before = _neighbour(t, "Episodes", ["PLACE"], 2)
    after_temporary = prev["_has"] & prev["PLACE"].isin(TEMPORARY)
    not_back = before["_has"] & (~_same(ep["PLACE"], before["PLACE"])
                                 | ~_same(_post_of(t, "Episodes", "PL_POST"), _neighbour_post(t, "Episodes", 2)))
    return after_temporary & ((ep["RNE"] != "P").fillna(True).astype(bool) | not_back)


@rule("384", "error", table="Episodes", fields=["PLACE", "LS"], years=ALL_YEARS,
      message="A child receiving respite care cannot be in a long-term foster placement")
def short_break_long_term_foster(t) -> pd.Series:
    ep = t.Episodes
    return ep["LS"].isin(SHORT_BREAK) & ep["PLACE"].isin(["U1", "U4"])


@rule("385", "error", table="Episodes", fields=["DEC"], years=ALL_YEARS,
      message="Date episode ceased must be on or before the end of the current collection year.")
def dec_after_year_end(t) -> pd.Series:
    return t.Episodes["DEC"] > t.collection_end


@rule("386", "error", table="Episodes", fields=["REC"], years=ALL_YEARS, needs=["Header"],
      message="Reason episode ceased is adopted but child has reached age 18.")
def adopted_at_18(t) -> pd.Series:
    ep = t.Episodes
    return ep["REC"].isin(ADOPTED) & (ep["DEC"] >= birthday(header_value(t, "Episodes", "DOB"), 18))


@rule("387", "error", table="Episodes", fields=["REC"], years=ALL_YEARS, needs=["Header"],
      message=("Reason episode ceased is child moved into independent living arrangement, but the "
               "child is aged under 14."))
def independent_living_under_14(t) -> pd.Series:
    ep = t.Episodes
    return ep["REC"].isin(["E5", "E6"]) & (ep["DEC"] < birthday(header_value(t, "Episodes", "DOB"), 14))


@rule("388", "error", table="Episodes", fields=["REC"], years=ALL_YEARS,
      message="Reason episode ceased is coded new episode begins, but there is no continuation episode.")
def x1_continuity(t) -> pd.Series:
    ep = t.Episodes
    nxt = _neighbour(t, "Episodes", ["DECOM"], -1)
    x1 = ep["REC"] == "X1"
    starts_same_day = nxt["DECOM"] == ep["DEC"]  # NaT on either side: not the same day
    known = nxt["_has"] & ep["DEC"].notna() & nxt["DECOM"].notna()
    x1_without_follow_on = x1 & known & ~starts_same_day
    x1_last = x1 & _is_last(t)
    ended_but_followed = present(ep["REC"]) & ~x1 & starts_same_day
    return x1_without_follow_on | x1_last | ended_but_followed


@rule("389", "error", table="Episodes", fields=["REC"], years=ALL_YEARS, needs=["Header"],
      message=("Reason episode ceased is that child transferred to care of adult social care services,"
               " but child is aged under 16."))
def adult_care_under_16(t) -> pd.Series:
    ep = t.Episodes
    return (ep["REC"] == "E7") & (ep["DEC"] < birthday(header_value(t, "Episodes", "DOB"), 16))


@rule("390", "error", table="Episodes", fields=["PLACE", "REC"], years=ALL_YEARS,
      message="Reason episode ceased is adopted but child has not been previously placed for adoption.")
def adopted_not_placed(t) -> pd.Series:
    ep = t.Episodes
    return ep["REC"].isin(ADOPTED) & ~ep["PLACE"].isin(ADOPTION_PLACE)


@rule("392a", "error", table="Episodes", fields=["PL_DISTANCE"], years=ALL_YEARS,
      needs=["Header", "Postcodes"],
      message=("Child is looked after but no distance is recorded. [NOTE: This check may result in "
               "false positives for children formerly UASC]"))
def no_distance(t) -> pd.Series:
    ep = t.Episodes
    return ~_uasc(t) & ~ep["LS"].isin(SHORT_BREAK) & _distance(ep).isna()


@rule("392b", "error", table="Episodes", fields=["HOME_POST", "PL_POST"], years=ALL_YEARS, needs=["Header"],
      message=("Child is looked after but no postcodes are recorded. [NOTE: This check may result in "
               "false positives for children formerly UASC, particularly if current & prior year UASC "
               "data not loaded]"))
def no_postcodes(t) -> pd.Series:
    ep = t.Episodes
    missing = blank_in(t, "Episodes", "HOME_POST") | blank_in(t, "Episodes", "PL_POST")
    return ~_uasc(t) & ~ep["LS"].isin(SHORT_BREAK) & missing


@rule("392c", "error", table="Episodes", fields=["HOME_POST", "PL_POST"], years=ALL_YEARS, needs=["Postcodes"],
      message="Postcode(s) provided are invalid.")
def postcode_not_known(t) -> pd.Series:
    ep = t.Episodes
    bad_home = present_in(t, "Episodes", "HOME_POST") & ~ep["HOME_POST_valid"].fillna(False).astype(bool)
    bad_place = present_in(t, "Episodes", "PL_POST") & ~ep["PL_POST_valid"].fillna(False).astype(bool)
    return bad_home | bad_place


# Only the raw postcodes are compared, so this runs without the postcode directory.
@rule("392d", "error", table="Episodes", fields=["HOME_POST", "PL_POST", "PLACE"], years=ALL_YEARS,
      message="Home and placement postcodes should not be same unless the placement type is P1.")
def home_is_placement(t) -> pd.Series:
    ep = t.Episodes
    home, place = _post_of(t, "Episodes", "HOME_POST"), _post_of(t, "Episodes", "PL_POST")
    return (home == place).fillna(False).astype(bool) & (ep["PLACE"] != "P1").fillna(True).astype(bool)


# MOTHER is a Header field, so the child's header row is reported (once per child).
@rule("393", "error", table="Header", fields=["MOTHER"], years=ALL_YEARS, needs=["Episodes"],
      message="Child is looked after but mother field is not completed.")
def mother_missing(t) -> pd.Series:
    ep, header = t.Episodes, t.Header
    looked_after = ep.loc[~ep["LS"].isin(SHORT_BREAK), "CHILD"]
    return (header["SEX"] == "F") & isin(header["CHILD"], looked_after) & ~present(header["MOTHER"])


@rule("398", "error", table="Episodes", fields=["LS", "HOME_POST", "PL_POST"], years=ALL_YEARS,
      message="Distance field completed but child looked after under legal status V3 or V4.")
def short_break_postcodes(t) -> pd.Series:
    ep = t.Episodes
    return ep["LS"].isin(SHORT_BREAK) & (present_in(t, "Episodes", "HOME_POST") | present_in(t, "Episodes", "PL_POST"))


@rule("406", "error", table="Episodes", fields=["PL_DISTANCE"], years=ALL_YEARS, needs=["Header", "Postcodes"],
      message=("Child is Unaccompanied Asylum-Seeking Child (UASC) or was formerly UASC. Distance "
               "should be blank. [NOTE: This check will result in false negatives for children "
               "formerly UASC not identified as such in loaded data]"))
def uasc_distance(t) -> pd.Series:
    return _uasc(t) & _distance(t.Episodes).notna()


# "Has reached age 18" (the DfE message): the 18th birthday itself counts.
@rule("407", "error", table="Episodes", fields=["DEC", "DOB", "REC"], years=ALL_YEARS, needs=["Header"],
      message="Reason episode ceased is Special Guardianship Order, but child has reached age 18.")
def sgo_at_18(t) -> pd.Series:
    ep = t.Episodes
    return ep["REC"].isin(["E45", "E46", "E47", "E48"]) & (ep["DEC"] >= birthday(header_value(t, "Episodes", "DOB"), 18))


@rule("408", "error", table="Episodes", fields=["PLACE", "LS"], years=ALL_YEARS,
      message=("Child is placed for adoption with a placement order, but no placement order has been "
               "recorded."))
def placement_order_missing(t) -> pd.Series:
    ep = t.Episodes
    return ep["PLACE"].isin(["A5", "A6"]) & (ep["LS"] != "E1").fillna(True).astype(bool)


@rule("411", "error", table="Episodes", fields=["PL_LOCATION"], years=ALL_YEARS, needs=["Postcodes", SUBMITTING_LA],
      message="Placement location code disagrees with LA of placement.")
def location_disagrees(t) -> pd.Series:
    # PL_LOCATION and PL_LA come from one derivation, so this only fires on a quirk in it (as the DfE notes).
    ep = t.Episodes
    own = la_gss_code(t.la_code)
    if own is None:
        return pd.Series(False, index=ep.index)
    in_elsewhere = (ep["PL_LOCATION"] == "IN") & present_in(t, "Episodes", "PL_LA") & (ep["PL_LA"] != own)
    out_at_home = (ep["PL_LOCATION"] == "OUT") & (ep["PL_LA"] == own)
    return in_elsewhere | out_at_home


@rule("420", "error", table="Episodes", fields=["PL_LA"], years=ALL_YEARS, needs=["Postcodes"],
      message="LA of placement completed but child is looked after under legal status V3 or V4.")
def short_break_pl_la(t) -> pd.Series:
    ep = t.Episodes
    return ep["LS"].isin(SHORT_BREAK) & present_in(t, "Episodes", "PL_LA")


@rule("426", "error", table="Episodes", fields=["LS"], years=ALL_YEARS,
      message=("A child receiving respite care cannot be recorded under a legal status of V3 and V4 in"
               " the same year."))
def both_short_break_kinds(t) -> pd.Series:
    ep = t.Episodes
    v3 = ep.loc[ep["LS"] == "V3", "CHILD"]
    v4 = ep.loc[ep["LS"] == "V4", "CHILD"]
    return ep["LS"].isin(SHORT_BREAK) & isin(ep["CHILD"], v3[isin(v3, v4)])


@rule("431", "error", table="Episodes", fields=["RNE", "DECOM"], years=ALL_YEARS,
      message=("The reason for new episode is started to be looked after, but the previous episode "
               "ended on the same day."))
def start_not_after_previous(t) -> pd.Series:
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["DEC"], 1)
    return (ep["RNE"] == "S") & (ep["DECOM"] <= prev["DEC"])


@rule("432", "error", table="Episodes", fields=["RNE"], years=ALL_YEARS,
      message=("The child ceased to be looked after at the end of the previous episode but the reason "
               "for the new episode is not started to be looked after."))
def restart_not_s(t) -> pd.Series:
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["REC"], 1)
    left_care = present(prev["REC"]) & (prev["REC"] != "X1")
    return left_care & (ep["RNE"] != "S").fillna(True).astype(bool)


@rule("433", "error", table="Episodes", fields=["RNE", "DECOM"], years=ALL_YEARS,
      message=("The reason for new episode suggests that this is a continuation episode, but the "
               "episode does not start on the same day as the last episode finished."))
def continuation_gap(t) -> pd.Series:
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["DEC"], 1)
    known = ep["DECOM"].notna() & prev["DEC"].notna()
    return ep["RNE"].isin(CONTINUATION_RNE) & known & (ep["DECOM"] != prev["DEC"])


@rule("434", "error", table="Episodes", years=ALL_YEARS,
      fields=["RNE", "LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER"],
      message=("Reason for new episode is that child's legal status has changed but not the placement,"
               " but this is not reflected in the episode data."))
def legal_change_only(t) -> pd.Series:
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["LS", *PLACEMENT_COLUMNS], 1)
    wrong = _same(ep["LS"], prev["LS"]) | _placement_changed(t)
    return (ep["RNE"] == "L") & prev["_has"] & wrong


@rule("435", "error", table="Episodes", years=ALL_YEARS,
      fields=["LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER"],
      message=("Reason for new episode is that child’s placement has changed but not the legal status,"
               " but this is not reflected in the episode data recorded."))
def placement_change_only(t) -> pd.Series:
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["LS", *PLACEMENT_COLUMNS], 1)
    wrong = ~_same(ep["LS"], prev["LS"]) | ~_placement_changed(t)
    return ep["RNE"].isin(["P", "T"]) & prev["_has"] & wrong


@rule("436", "error", table="Episodes", years=ALL_YEARS,
      fields=["RNE", "LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER"],
      message=("Reason for new episode is that both child’s placement and legal status have changed, "
               "but this is not reflected in the episode data."))
def legal_and_placement_change(t) -> pd.Series:
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["LS", *PLACEMENT_COLUMNS], 1)
    wrong = _same(ep["LS"], prev["LS"]) | ~_placement_changed(t)
    return ep["RNE"].isin(["B", "U"]) & prev["_has"] & wrong


@rule("437", "error", table="Episodes", fields=["REC"], years=ALL_YEARS,
      message="Reason episode ceased is child has died or is aged 18 or over but there are further episodes.")
def episodes_after_final_reason(t) -> pd.Series:
    ep = t.Episodes
    return ep["REC"].isin(["E2", "E15"]) & _neighbour(t, "Episodes", ["REC"], -1)["_has"]


# UPN is a Header field, so the child's header row is reported (once per child).
@rule("442", "error", table="Header", fields=["UPN"], years=ALL_YEARS, needs=["Episodes"],
      message="Unique Pupil Number (UPN) field is not completed.")
def upn_missing(t) -> pd.Series:
    ep, header = t.Episodes, t.Header
    looked_after = ep.loc[~ep["LS"].isin(SHORT_BREAK), "CHILD"]
    return isin(header["CHILD"], looked_after) & blank_in(t, "Header", "UPN")


@rule("446", "error", table="Episodes", fields=["LS", "DECOM"], years=ALL_YEARS,
      message="E1 is not a valid code for episodes starting before December 2005.")
def e1_before_2005(t) -> pd.Series:
    ep = t.Episodes
    return (ep["LS"] == "E1") & (ep["DECOM"] < pd.Timestamp(2005, 12, 1))


@rule("452", "error", table="Episodes", fields=["PL_LA"], years=ALL_YEARS,
      needs=[*OPEN_LAST_YEAR, "Postcodes"],
      message=("Contradiction between local authority of placement code in the last episode of the "
               "previous year and in the first episode of the current year."))
def carried_pl_la_changed(t) -> pd.Series:
    ep = t.Episodes
    mask, last = _carried_over(t, ["RNE", "PL_LA"])
    return mask & _same(ep["RNE"], last["RNE"]) & ~_same(ep["PL_LA"], last["PL_LA"])


@rule("453", "error", table="Episodes", fields=["PL_DISTANCE"], years=ALL_YEARS,
      needs=[*OPEN_LAST_YEAR, "Postcodes"],
      message=("Contradiction between placement distance in the last episode of the previous year and "
               "in the first episode of the current year."))
def carried_distance_changed(t) -> pd.Series:
    ep = t.Episodes
    mask, last = _carried_over(t, ["RNE", "PL_DISTANCE"])
    moved = _distance_moved(_distance(ep), _distance(last), 0.2, inclusive=True)
    return mask & _same(ep["RNE"], last["RNE"]) & moved


@rule("454", "error", table="Episodes", fields=["PL_DISTANCE"], years=[2026, 2027], needs=["Postcodes"],
      message=("Placement distance from home is over 350 miles. [NOTE: This check will result in false"
               " positives for children formerly UASC not identified as such in loaded data]"))
def distance_over_350(t) -> pd.Series:
    miles = _distance(t.Episodes)
    return (miles > 350) & ~np.isclose(miles, 999.9)


@rule("460", "error", table="Episodes", fields=["DEC", "REC"], years=ALL_YEARS, needs=["Header"],
      message=("Reason episode ceased is that child stayed with current carers at age 18 (or above), "
               "but child is aged under 18."))
def staying_put_under_18(t) -> pd.Series:
    ep = t.Episodes
    return (ep["REC"] == "E17") & (ep["DEC"] < birthday(header_value(t, "Episodes", "DOB"), 18))


@rule("501", "error", table="Episodes", fields=["DECOM", "DEC"], years=ALL_YEARS,
      message="A new episode has started before the end date of the previous episode.")
def starts_before_previous_ends(t) -> pd.Series:
    ep = t.Episodes
    return ep["DECOM"] < _neighbour(t, "Episodes", ["DEC"], 1)["DEC"]


@rule("502", "error", table="Episodes", fields=["DECOM"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message=("Last year's record ended with an open episode. The date on which that episode started "
               "does not match the start date of the first episode on this year’s record."))
def carried_decom_differs(t) -> pd.Series:
    ep = t.Episodes
    mask, last = _carried_over(t, ["DECOM"])
    return mask & ep["DECOM"].notna() & last["DECOM"].notna() & (ep["DECOM"] != last["DECOM"])


def _carried_differs(t, col: str) -> pd.Series:
    mask, last = _carried_over(t, [col])
    return mask & ~_same(t.Episodes[col], last[col])


@rule("503A", "error", table="Episodes", fields=["RNE"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message=("The reason for new episode in the first episode does not match open episode at end of "
               "last year."))
def carried_rne_differs(t) -> pd.Series:
    return _carried_differs(t, "RNE")


@rule("503B", "error", table="Episodes", fields=["LS"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message="The legal status in the first episode does not match open episode at end of last year.")
def carried_ls_differs(t) -> pd.Series:
    return _carried_differs(t, "LS")


@rule("503C", "error", table="Episodes", fields=["CIN"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message="The category of need in the first episode does not match open episode at end of last year.")
def carried_cin_differs(t) -> pd.Series:
    return _carried_differs(t, "CIN")


@rule("503D", "error", table="Episodes", fields=["PLACE"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message="The placement type in the first episode does not match open episode at end of last year")
def carried_place_differs(t) -> pd.Series:
    ep = t.Episodes
    mask, last = _carried_over(t, ["PLACE"])
    recoded = (last["PLACE"].astype("str") + ">" + ep["PLACE"].astype("str")).isin(PLACE_RECODES[t.year])
    return mask & ~_same(ep["PLACE"], last["PLACE"]) & ~recoded


@rule("503E", "error", table="Episodes", fields=["PLACE_PROVIDER"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message="The placement provider in the first episode does not match open episode at end of last year.")
def carried_provider_differs(t) -> pd.Series:
    return _carried_differs(t, "PLACE_PROVIDER")


@rule("503F", "error", table="Episodes", fields=["URN"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message="The Ofsted URN in the  first episode does not match open episode at end of last year.")
def carried_urn_differs(t) -> pd.Series:
    return _carried_differs(t, "URN")


# "Within 0.2 miles": a change of exactly 0.2 is accepted here (453 says "0.2 or more" and rejects it).
@rule("503G", "error", table="Episodes", fields=["PL_DISTANCE"], years=ALL_YEARS,
      needs=[*OPEN_LAST_YEAR, "Postcodes"],
      message="The distance in first episode does not match open episode at end of last year.")
def carried_distance_differs(t) -> pd.Series:
    mask, last = _carried_over(t, ["PL_DISTANCE"])
    return mask & _distance_moved(_distance(t.Episodes), _distance(last), 0.2, inclusive=False)


@rule("503H", "error", table="Episodes", fields=["PL_LA"], years=ALL_YEARS,
      needs=[*OPEN_LAST_YEAR, "Postcodes"],
      message="The placement LA in first episode does not match open episode at end of last year.")
def carried_pl_la_differs(t) -> pd.Series:
    return _carried_differs(t, "PL_LA")


@rule("503J", "error", table="Episodes", fields=["PL_LOCATION"], years=ALL_YEARS,
      needs=[*OPEN_LAST_YEAR, "Postcodes", SUBMITTING_LA],
      message="The placement location in first episode does not match open episode at end of last year.")
def carried_location_differs(t) -> pd.Series:
    return _carried_differs(t, "PL_LOCATION")


@rule("504", "error", table="Episodes", fields=["CIN"], years=ALL_YEARS,
      message=("The category of need code differs from that reported at start of current period of "
               "being looked after"))
def cin_changes_across_x1(t) -> pd.Series:
    ep = t.Episodes
    prev = _neighbour(t, "Episodes", ["DEC", "REC", "CIN"], 1)
    continues = (prev["REC"] == "X1") & (ep["DECOM"] == prev["DEC"])
    return continues & ~_same(ep["CIN"], prev["CIN"])


@rule("516", "error", table="Episodes", fields=["REC", "PLACE"], years=ALL_YEARS,
      message=("The episode data submitted for this child does not show that he/she was with their "
               "former foster carer(s) during the year.If the code in the reason episode ceased is E45"
               " or E46 the child must have a placement code of U1 to U6."))
def sgo_foster_carer_not_fostering(t) -> pd.Series:
    ep = t.Episodes
    return ep["REC"].isin(["E45", "E46"]) & ~ep["PLACE"].isin(FOSTER_PLACE)


# A blank PLACE is left to the placement-type rules: it says nothing about whether a provider is due.
@rule("526", "error", table="Episodes", fields=["PLACE", "PLACE_PROVIDER"], years=ALL_YEARS,
      message="Child is missing a placement provider code for at least one episode.")
def provider_missing(t) -> pd.Series:
    ep = t.Episodes
    takes_provider = present(ep["PLACE"]) & ~ep["PLACE"].isin(NO_PROVIDER[t.year])
    return takes_provider & ~present(ep["PLACE_PROVIDER"])


def _provider_with(t, provider: str, places: list[str]) -> pd.Series:
    ep = t.Episodes
    return (ep["PLACE_PROVIDER"] == provider) & ep["PLACE"].isin(places)


@rule("527", "error", table="Episodes", fields=["PLACE", "PLACE_PROVIDER"], years=ALL_YEARS,
      message="A placement provider code of PR1 cannot be associated with placements P1, R2 or R5.")
def pr1_wrong_place(t) -> pd.Series:
    return _provider_with(t, "PR1", ["P1", "R2", "R5"])


@rule("528", "error", table="Episodes", fields=["PLACE", "PLACE_PROVIDER"], years=ALL_YEARS,
      message="A placement provider code of PR2 cannot be associated with placements P1, R2 or R5.")
def pr2_wrong_place(t) -> pd.Series:
    return _provider_with(t, "PR2", ["P1", "R2", "R5"])


@rule("529", "error", table="Episodes", fields=["PLACE", "PLACE_PROVIDER"], years=ALL_YEARS,
      message=("Placement provider code of PR3 cannot be associated with placements P1, A3 to A6, K1, "
               "K2 and U1 to U6 as these placements cannot be provided by other public organisations."))
def pr3_wrong_place(t) -> pd.Series:
    return _provider_with(t, "PR3", ["P1", *ADOPTION_PLACE, "K1", "K2", *FOSTER_PLACE])


@rule("530", "error", table="Episodes", fields=["PLACE", "PLACE_PROVIDER"], years=ALL_YEARS,
      message="A placement provider code of PR4 cannot be associated with placement P1.")
def pr4_wrong_place(t) -> pd.Series:
    return _provider_with(t, "PR4", ["P1"])


@rule("531", "error", table="Episodes", fields=["PLACE", "PLACE_PROVIDER"], years=ALL_YEARS,
      message="A placement provider code of PR5 cannot be associated with placements P1.")
def pr5_wrong_place(t) -> pd.Series:
    return _provider_with(t, "PR5", ["P1"])


@rule("550", "error", table="Episodes", fields=["PLACE", "PLACE_PROVIDER"], years=ALL_YEARS,
      message="A placement provider code of PR0 can only be associated with placement P1.")
def pr0_not_parents(t) -> pd.Series:
    ep = t.Episodes
    return (ep["PLACE_PROVIDER"] == "PR0") & (ep["PLACE"] != "P1").fillna(True).astype(bool)


@rule("562", "error", table="Episodes", fields=["DECOM"], years=ALL_YEARS, needs=OPEN_LAST_YEAR,
      message=("Episode commenced before the start of the current collection year but there is a "
               "missing continuous episode in the previous year."))
def continuing_episode_missing_last_year(t) -> pd.Series:
    # A child found last year whose episodes there cannot be ordered (a bad DECOM) is not judged.
    ep = t.Episodes
    last_decom = child_value(t, "Episodes", "Episodes_last", "DECOM", where=_is_last(t, "Episodes_last"))
    absent_last_year = ~child_in(t, "Episodes", "Episodes_last")
    mismatch = last_decom.notna() & (last_decom != ep["DECOM"])
    return _is_first(t) & (ep["DECOM"] < t.collection_start) & (absent_last_year | mismatch)


# One finding per ceasing episode (the DfE flags the episode and the header; the engine reports one table).
@rule("607", "error", table="Episodes", fields=["DEC", "REC", "MOTHER", "LS", "SEX"], years=ALL_YEARS,
      needs=["Header"],
      message="Child ceased to be looked after in the year, but mother field has not been completed.")
def mother_missing_on_leaving(t) -> pd.Series:
    ep = t.Episodes
    in_year = (ep["DEC"] >= t.collection_start) & (ep["DEC"] <= t.collection_end)
    ceased = in_year & present(ep["REC"]) & (ep["REC"] != "X1") & ~ep["LS"].isin(SHORT_BREAK)
    female = header_value(t, "Episodes", "SEX") == "F"
    return ceased & female & ~present(header_value(t, "Episodes", "MOTHER"))


# MC_DOB is a Header field: the header row is reported. "The date the child ceased to be looked after"
# is the DEC of the child's latest episode, where that episode has ended.
@rule("625", "error", table="Header", fields=["MC_DOB", "DEC"], years=ALL_YEARS, needs=["Episodes"],
      message=("Date of birth of the first child is beyond the end of this reporting year or the date "
               "the child ceased to be looked after."))
def first_child_born_too_late(t) -> pd.Series:
    header = t.Header
    left_care = child_value(t, "Header", "Episodes", "DEC", where=_is_last(t))
    return (header["MC_DOB"] > t.collection_end) | (header["MC_DOB"] > left_care)


@rule("1008", "error", table="Episodes", fields=["URN"], years=ALL_YEARS, needs=["OfstedProviderLists"],
      message="Ofsted Unique Reference Number (URN) is not valid.")
def urn_not_registered(t) -> pd.Series:
    ep = t.Episodes
    known = t.OfstedProviderLists["URN"].dropna().astype("str").str.strip().str.upper()
    urn = ep["URN"].astype("str").str.strip().str.upper()
    return present_in(t, "Episodes", "URN") & (urn != "XXXXXXX") & ~isin(urn, known)


@rule("1009", "error", table="Episodes", fields=["REASON_PLACE_CHANGE"], years=ALL_YEARS,
      message="Reason for placement change is not a valid code.")
def reason_place_change_invalid(t) -> pd.Series:
    reason = t.Episodes["REASON_PLACE_CHANGE"]
    return present(reason) & ~reason.isin(REASON_PLACE_CHANGE)


OTHER_CHILD_TABLES = ["PlacedAdoption", "Missing", "Reviews", "AD1", "PrevPerm", "OC2"]


# The offending rows are in other tables, for children with no episode; the engine reports one table,
# so the child's header row is reported. Tables not supplied are simply not looked at.
@rule("1012", "error", table="Header", fields=["CHILD"], years=ALL_YEARS, needs=["Episodes"],
      message="No other data should be returned for OC3 children who had no episodes in the current year")
def data_without_episodes(t) -> pd.Series:
    header = t.Header
    with_data = pd.Series(False, index=header.index)
    for name in OTHER_CHILD_TABLES:
        if t.has(name):
            with_data |= child_in(t, "Header", name)
    return with_data & ~child_in(t, "Header", "Episodes")


# PL_LOCATION is derived relative to the submitting LA, so OUT is exactly "PL_LA is not the own LA".
@rule("1015", "error", table="Episodes", fields=["PL_LA"], years=ALL_YEARS, needs=["Postcodes", SUBMITTING_LA],
      message="Placement provider is own provision but child not placed in own LA.")
def own_provision_outside(t) -> pd.Series:
    ep = t.Episodes
    own_provision = (ep["PLACE_PROVIDER"] == "PR1") & ~ep["PLACE"].isin(OWN_LA_EXEMPT[t.year])
    return own_provision & ~ep["LS"].isin(SHORT_BREAK) & (ep["PL_LOCATION"] == "OUT")
