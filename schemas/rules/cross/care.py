"""Care and need: a looked-after child is a child in need; protection plans against care episodes."""

from __future__ import annotations

import pandas as pd

from schemas.rules.cross.base import YEARS, pairs, rule

ADOPTION_PLACEMENTS = {"A3", "A4", "A5", "A6"}  # placed for adoption (with consent or under a placement order)
ADOPTED = {"E11", "E12"}  # episode ended: adopted (application unopposed / opposed)


@rule("X01", "query", table="ssda903.Episodes", fields=["DECOM", "DEC"], years=YEARS, needs=["cin.CINdetails"],
      message="Looked after in the year with no CIN census episode open over that time: a child looked after is a "
              "child in need, so the CIN census should hold a referral open on every day of this care episode "
              "in the year. Add or correct the CIN referral or closure date, or the care episode's dates.")
def looked_after_not_in_need(t) -> pd.Series:
    # Reading of "covering that time": the days of this episode inside the collection year lie within one
    # CIN episode (referral on or before the first, closure blank or on or after the last). Days before
    # 1 April are last year's census's business. Two back-to-back CIN episodes do not cover one episode.
    ep = t["ssda903.Episodes"]
    in_year = ep["child_id"].notna() & ep["start"].notna() & (ep["start"] <= t.period_end) & (
        ep["end"].isna() | (ep["end"] >= t.period_start))
    first = ep["start"].where(ep["start"] >= t.period_start, t.period_start)
    last = ep["end"].where(ep["end"].notna() & (ep["end"] <= t.period_end), t.period_end)
    days = pd.DataFrame({"child_id": ep["child_id"], "first": first, "last": last})[in_year]
    cin = t["cin.CINdetails"]
    p = pairs(days, cin[cin["start"].notna()], "child_id")
    covered = (p["start"] <= p["first"]) & (p["end"].isna() | (p["end"] >= p["last"]))
    return in_year & ~ep.index.isin(pd.Index(p.loc[covered, "_left"]))


def _plans_against(t, episodes: pd.DataFrame) -> pd.DataFrame:
    cpp = t["cin.ChildProtectionPlans"]
    return pairs(cpp[cpp["start"].notna()], episodes, "child_id")


@rule("X05", "query", table="cin.ChildProtectionPlans", fields=["CPPstartDate", "CPPendDate"], years=YEARS,
      needs=["ssda903.Episodes"],
      message="Child protection plan open for the whole of a placement for adoption (SSDA903 placement A3-A6): "
              "a plan should have ended once the child was placed for adoption. Check the plan's end date and "
              "the placement.")
def plan_through_adoption_placement(t) -> pd.Index:
    # Reading: the plan started on or before the placement began and had not ended before the placement
    # did (an open plan or placement counts as running to the reference date). A plan ending the day
    # before the placement ends is not "through" it.
    ep = t["ssda903.Episodes"]
    placed = ep[ep["PLACE"].isin(ADOPTION_PLACEMENTS) & ep["start"].notna()]
    p = _plans_against(t, placed)
    ref = t.reference_date
    through = (p["start"] <= p["start_r"]) & (p["end"].fillna(ref) >= p["end_r"].fillna(ref))
    return pd.Index(p.loc[through, "_left"].unique())


@rule("X06", "query", table="cin.ChildProtectionPlans", fields=["CPPstartDate", "CPPendDate"], years=YEARS,
      needs=["ssda903.Episodes"],
      message="Child protection plan still open after the child was adopted (SSDA903 episode ended E11/E12): "
              "the plan should end on or before the adoption order. Check the plan's end date.")
def plan_open_after_adoption(t) -> pd.Index:
    # Reading: a plan that started on or before the adoption date and has no end date or a later one.
    # A plan that starts after the adoption is a new concern about the adoptive family: not flagged.
    ep = t["ssda903.Episodes"]
    adopted = ep[ep["REC"].isin(ADOPTED) & ep["end"].notna()]
    p = _plans_against(t, adopted)
    after = (p["start"] <= p["end_r"]) & (p["end"].isna() | (p["end"] > p["end_r"]))
    return pd.Index(p.loc[after, "_left"].unique())
