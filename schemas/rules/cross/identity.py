"""Identity: the same child is the same person in both returns, and a UPN belongs to one child."""

from __future__ import annotations

import pandas as pd

from schemas.rules.cross.base import YEARS, by_child, rule


def _stated_upn(s: pd.Series) -> pd.Series:
    text = s.astype("object").where(s.notna(), None)
    out = pd.Series(text, index=s.index, dtype="object").str.strip().str.upper()
    return out.where(out.notna() & (out != ""), None)


@rule("X02", "query", table="ssda903.Header", fields=["UPN"], years=YEARS, needs=["cin.ChildIdentifiers"],
      message="The UPN differs between the CIN census and the SSDA903 for this child (same LA child id): the DfE "
              "links the returns by UPN, so the child will not match. Correct the UPN in the return that is wrong.")
def upn_differs(t) -> pd.Series:
    # Reading of "which UPN counts when missing": each return's stated value is its UPN, else its unknown
    # reason (the CIN census's UPNunknown; the 903 writes UN1-UN5 in UPN). A UPN against an unknown code
    # is a difference (one return says the UPN is known). A return that states nothing is left to that
    # return's own DfE rules (missing UPN), not reported here.
    head = t["ssda903.Header"]
    cin = t["cin.ChildIdentifiers"]
    cin_stated = _stated_upn(cin["UPN"]).fillna(_stated_upn(cin["UPNunknown"]))
    theirs = by_child(head, cin.assign(STATED=cin_stated), "STATED")
    ours = _stated_upn(head["UPN"])
    return (ours.notna() & theirs.notna() & (ours != theirs)).fillna(False).astype(bool)


@rule("X03", "query", table="ssda903.Header", fields=["DOB"], years=YEARS, needs=["cin.ChildIdentifiers"],
      message="The date of birth differs between the CIN census and the SSDA903 for this child (same LA child "
              "id). Correct the one that is wrong.")
def dob_differs(t) -> pd.Series:
    # Reading: compared only where both returns give a valid date; a missing date is the returns' own rules.
    head = t["ssda903.Header"]
    theirs = by_child(head, t["cin.ChildIdentifiers"], "DOB")
    return (head["DOB"].notna() & theirs.notna() & (head["DOB"] != theirs)).fillna(False).astype(bool)


@rule("X04", "query", table="ssda903.Header", fields=["SEX"], years=YEARS, needs=["cin.ChildIdentifiers"],
      message="The child's sex differs between the CIN census and the SSDA903 (same LA child id). Correct the "
              "one that is wrong.")
def sex_differs(t) -> pd.Series:
    # Reading: M/F only (1/2 before 2024-25); U (not known, unborn) and blanks are not compared.
    head = t["ssda903.Header"]
    theirs = by_child(head, t["cin.ChildIdentifiers"], "SEX")
    return (head["SEX"].notna() & theirs.notna() & (head["SEX"] != theirs)).fillna(False).astype(bool)


@rule("X11", "query", table="upn_holders", fields=["UPN"], years=YEARS,
      message="This UPN is also held by a different child in the CIN census, the SSDA903 or a school roll: a UPN "
              "identifies one pupil, and the DfE will merge these children's records. Find whose UPN it is and "
              "correct the other.")
def upn_shared(t) -> pd.Series:
    # Reading of "different children": two LA child ids (across both returns), or two roll rows with
    # different dates of birth. The same child on two rolls (same date of birth) is one child; a roll
    # row whose date of birth differs from the LA's record of that UPN is X08, not this check.
    h = t["upn_holders"]
    la = h[h["source"] == "la"].groupby("UPN_KEY")["child_id"].nunique()
    roll = h[(h["source"] == "roll") & h["DOB"].notna()].groupby("UPN_KEY")["DOB"].nunique()
    shared = set(la.index[la.to_numpy() > 1]) | set(roll.index[roll.to_numpy() > 1])
    return h["UPN_KEY"].isin(shared)
