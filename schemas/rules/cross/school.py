"""School rolls: the LA's school-age children are on a roll, the roll agrees about them, and the in-care
flag a school's MIS holds agrees with the SSDA903."""

from __future__ import annotations

import pandas as pd

from schemas.rules.cross.base import YEARS, looked_after_now, open_on, rule


def _upns(children: pd.DataFrame) -> pd.DataFrame:
    """Each LA child's UPNs (either return's) as rows: the children frame's label in ``_child``."""
    keys = children["UPN_KEYS"].rename_axis("_child").explode().dropna()
    return pd.DataFrame({"_child": keys.index, "UPN_KEY": keys.to_numpy()})


def _any_per_child(children: pd.DataFrame, upns: pd.DataFrame, hit: pd.Series) -> pd.Series:
    found = set(upns.loc[hit.to_numpy(), "_child"])
    return pd.Series(children.index.isin(pd.Index(list(found))), index=children.index)


@rule("X07", "query", table="children", fields=["UPN"], years=YEARS, needs=["school_pupils"],
      message="A child of statutory school age in the CIN census or SSDA903 whose UPN is on none of the school "
              "rolls supplied: check the UPN, and which school the child attends.")
def not_on_any_roll(t) -> pd.Series:
    # Reading: "school age" as statreturns.cross.school_age (Year 1 to Year 11 in the collection year);
    # "on a roll" = a roll row on the roll on the reference date holds one of the UPNs either return gives
    # the child. A child with no UPN (blank or UN code) is the returns' own rules' business.
    children = t["children"]
    upns = _upns(children)
    roll = t["school_pupils"]
    on_roll = upns["UPN_KEY"].isin(set(roll.loc[roll["ON_ROLL"], "UPN_KEY"].dropna()))
    has_upn = children["UPN_KEYS"].notna()
    return children["SCHOOL_AGE"] & has_upn & ~_any_per_child(children, upns, on_roll)


@rule("X08", "query", table="school_pupils", fields=["PersonBirthDate", "Sex"], years=YEARS,
      message="The school roll gives this UPN a different date of birth or sex from the CIN census or SSDA903: "
              "either the UPN is another child's or one of the records is wrong. Check with the school.")
def roll_differs(t) -> pd.Index:
    # Reading: any roll row (leavers too) whose UPN one of our children holds; dates compared where both
    # are given, sex where both are M or F.
    roll = t["school_pupils"]
    children = t["children"]
    upns = _upns(children).assign(DOB_LA=lambda f: children["DOB"].reindex(f["_child"]).to_numpy(),
                                  SEX_LA=lambda f: children["SEX"].reindex(f["_child"]).to_numpy())
    p = roll[roll["UPN_KEY"].notna()].rename_axis("_roll").reset_index().merge(upns, on="UPN_KEY")
    dob = p["DOB"].notna() & p["DOB_LA"].notna() & (p["DOB"] != p["DOB_LA"])
    sex = p["SEX"].notna() & p["SEX_LA"].notna() & (p["SEX"] != p["SEX_LA"])
    return pd.Index(p.loc[(dob | sex).fillna(False).astype(bool), "_roll"].unique())


def _ours(t, roll: pd.DataFrame) -> pd.Series:
    """Roll rows on the roll on the reference date that flag the pupil in care of this LA."""
    la = t["la"]["la_code"].iloc[0]
    return roll["ON_ROLL"] & roll["InCare"].eq(True).fillna(False).astype(bool) & (roll["CareAuthority"] == la)


@rule("X09", "query", table="school_pupils", fields=["InCare", "CareAuthority"], years=YEARS,
      needs=["school_care", "la", "ssda903.Episodes"],
      message="The school's MIS flags this pupil as in the care of this LA, but no SSDA903 episode for a child "
              "with this UPN is open on 31 March: either the flag is out of date or the child's 903 record (or "
              "UPN) is missing. Check with the virtual school.")
def flagged_in_care_not_looked_after(t) -> pd.Series:
    # Reading of "on the census date": the collection's reference date, 31 March (the date the 903 counts
    # children looked after); the roll row must be current on that date. Matched by UPN only (either
    # return's UPN for the child): a flagged pupil without a UPN cannot be matched and is reported.
    roll = t["school_pupils"]
    children = t["children"]
    upns = _upns(children)
    now = looked_after_now(t)
    lac_upns = set(upns.loc[now.reindex(upns["_child"]).to_numpy(), "UPN_KEY"])
    return _ours(t, roll) & ~roll["UPN_KEY"].isin(lac_upns)


@rule("X10", "query", table="ssda903.Header", fields=["UPN"], years=YEARS,
      needs=["school_pupils", "school_care", "la", "ssda903.Episodes"],
      message="Looked after by this LA on 31 March and of statutory school age, but the school roll holding the "
              "child's UPN does not flag them as in care of this LA (InCare and CareAuthority): tell the school "
              "and the virtual school.")
def looked_after_not_flagged(t) -> pd.Series:
    # Reading: rolls current on the reference date holding one of the child's UPNs; none of them flags
    # InCare with our LA as CareAuthority (a blank flag or another LA counts as not flagged). A child on
    # no roll is X07's business, not this check's.
    head = t["ssda903.Header"]
    children = t["children"]
    roll = t["school_pupils"]
    ep = t["ssda903.Episodes"]
    now = head["child_id"].isin(set(ep.loc[open_on(t, ep), "child_id"].dropna()))
    upns = _upns(children)
    current = roll.loc[roll["ON_ROLL"] & roll["UPN_KEY"].notna()]
    flagged = set(current.loc[_ours(t, current), "UPN_KEY"])
    on_roll = upns["UPN_KEY"].isin(set(current["UPN_KEY"]))
    ids = children["child_id"]
    held = set(ids[_any_per_child(children, upns, on_roll)])
    marked = set(ids[_any_per_child(children, upns, upns["UPN_KEY"].isin(flagged))])
    return now & head["SCHOOL_AGE"] & head["child_id"].isin(held) & ~head["child_id"].isin(marked)
