"""Cross-return consistency and faults for a generated council (the cross checks X01-X11).

``add_cross`` runs where the generator finishes, on the canonical tables it made (faults of the other
kinds already injected). First it makes the record agree across the returns and the roll, as a council's
good data would: every child looked after in the year has a CIN episode open over that time, no
protection plan runs through an adoption placement or past an adoption, the roll holds every school-age
child the LA knows (same UPN, date of birth and sex) and flags in care exactly the children looked after
by this LA on 31 March. A fault of another kind already injected is not undone (an episode closed
before it began stays so), and cross faults go to other children.

Then it injects one fault per cross check into separate children, and returns a row per child (or pupil)
each fault should be found on: ``child_id, kind, table, expected_rules`` (rule codes, ';'-joined).

X02-X04 (UPN, date of birth, sex differ between the CIN census and the 903) cannot arise in extracts
where both returns are built from one record of the child, as ours are: they happen when a council's
903 comes from another system. ``disagree_903`` makes such a 903 from the built one, for the faults
``add_cross(..., with_returns=True)`` lists for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from statreturns.cross import school_age, upn_key
from statreturns.generate.cin import PRIMARY_NEED, REFERRAL_SOURCE, _factors
from statreturns.generate.draw import as_dates, make_ids, make_upns, nat_where, pick_codes, random_days

if TYPE_CHECKING:
    from statreturns.generate.model import Config

ADOPTION_PLACEMENTS = ["A3", "A4", "A5", "A6"]
ADOPTED = ["E11", "E12"]
FAULT_COLUMNS = ["child_id", "kind", "table", "expected_rules"]
# kind -> (table the finding is on, the check it trips)
KINDS: dict[str, tuple[str, str]] = {
    "cross_looked_after_not_in_need": ("la_episodes", "X01"),
    "cross_upn_differs": ("ssda903.Header", "X02"),
    "cross_dob_differs": ("ssda903.Header", "X03"),
    "cross_sex_differs": ("ssda903.Header", "X04"),
    "cross_plan_through_adoption": ("cp_plans", "X05"),
    "cross_plan_after_adoption": ("cp_plans", "X06"),
    "cross_not_on_roll": ("children", "X07"),
    "cross_roll_differs": ("school_pupils", "X08"),
    "cross_flagged_not_looked_after": ("school_pupils", "X09"),
    "cross_not_flagged": ("children", "X10"),
    "cross_upn_shared": ("school_pupils", "X11"),
}
RETURN_KINDS = ("cross_upn_differs", "cross_dob_differs", "cross_sex_differs")


def add_cross(tables: dict[str, pd.DataFrame], faults: pd.DataFrame, cfg: Config, *, rate: float | None = None,
              with_returns: bool = False) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Consistent cross-return data, then one fault per cross check: (tables, faults + the new rows).

    ``rate`` (default ``cfg.fault_rate``): the share of children given a cross fault, split evenly over
    the kinds (at least one each when the rate is above 0). ``with_returns`` also lists the X02-X04 faults
    that ``disagree_903`` applies to a built 903 (extracts cannot carry them; see the module docstring).
    """
    # Text as object columns: pandas' Arrow strings convert every value of an ``isin`` set in Python, and
    # matching ids and UPNs against sets is most of this module's work.
    out = {name: frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)})
           for name, frame in tables.items()}
    year, la = cfg.year, cfg.la_code
    skip = set(faults["child_id"]) if len(faults) else set()
    make_consistent(out, cfg, skip)
    _complete_roll(out, year, la, np.random.default_rng(cfg.seed + 1601))
    rate = cfg.fault_rate if rate is None else rate
    rows = _inject(out, year, la, rate, skip, np.random.default_rng(cfg.seed + 1602), with_returns)
    new = pd.DataFrame(rows, columns=FAULT_COLUMNS)
    return out, pd.concat([faults, new], ignore_index=True) if len(faults) else new


def make_consistent(t: dict[str, pd.DataFrame], cfg: Config, skip: set | None = None) -> None:
    """Make the case history agree across the returns (in place), as a well-kept council's does: a CIN
    episode over each child's care, no protection plan through an adoption. The generator does this on the
    clean record (``Config.cross``); ``add_cross`` again after the faults, leaving the CIN episodes of the
    children in ``skip`` (faulted) as injected, and then completes the roll from the record as it stands."""
    _cover_care(t, cfg.year, np.random.default_rng(cfg.seed + 1600), skip or set())
    _end_plans_at_adoption(t, cfg.year)


def disagree_903(frames: dict[str, pd.DataFrame], faults: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A built 903 (``build_903_frames``) as another system would give it: the X02-X04 faults applied."""
    head = frames["Header"].copy()
    for kind, change in (("cross_upn_differs", _other_upn), ("cross_dob_differs", _day_later),
                         ("cross_sex_differs", _other_sex)):
        ids = set(faults.loc[faults["kind"] == kind, "child_id"])
        rows = head["CHILD"].isin(ids)
        col = {"cross_upn_differs": "UPN", "cross_dob_differs": "DOB", "cross_sex_differs": "SEX"}[kind]
        head.loc[rows, col] = change(head.loc[rows, col])
    return {**frames, "Header": head}


def _other_upn(s: pd.Series) -> pd.Series:
    # A typo in the last character: still a UPN's shape, no longer the child's.
    return s.str[:12] + np.where(s.str[12] == "0", "1", "0")


def _day_later(s: pd.Series) -> pd.Series:
    return (pd.to_datetime(s, format="%d/%m/%Y") + pd.Timedelta(days=1)).dt.strftime("%d/%m/%Y")


def _other_sex(s: pd.Series) -> pd.Series:
    return s.map({"M": "F", "F": "M", "1": "2", "2": "1"})


def _period(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(year=year - 1, month=4, day=1), pd.Timestamp(year=year, month=3, day=31)


def _care_in_year(t: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """Per child looked after in the year: the first and last day of care in it, open on 31 March, the
    day the first of those care episodes began, and the day the last ended (``rec``: why)."""
    start, end = _period(year)
    eps = t["la_episodes"]
    eps = eps[eps["DECOM"].notna() & (eps["DECOM"] <= end) & (eps["DEC"].isna() | (eps["DEC"] >= start))]
    eps = eps.sort_values(["child_id", "DECOM"], kind="stable")
    days = pd.DataFrame({"child_id": eps["child_id"], "first": eps["DECOM"].clip(lower=start),
                         "last": eps["DEC"].fillna(end).clip(upper=end), "open": eps["DEC"].isna(),
                         "began": eps["DECOM"], "ended": eps["DEC"], "rec": eps["REC"]})
    return days.groupby("child_id").agg(first=("first", "min"), last=("last", "max"), open=("open", "any"),
                                        began=("began", "min"), ended=("ended", "last"), rec=("rec", "last"))


def _drop_episodes(t: dict[str, pd.DataFrame], episode_ids: set) -> None:
    if not episode_ids:
        return
    gone_a = set(t["assessments"].loc[t["assessments"]["episode_id"].isin(episode_ids), "assessment_id"])
    gone_c = set(t["cp_plans"].loc[t["cp_plans"]["episode_id"].isin(episode_ids), "cpp_id"])
    t["cin_episodes"] = t["cin_episodes"][~t["cin_episodes"]["episode_id"].isin(episode_ids)]
    for name in ("assessments", "cin_plans", "section47", "cp_plans"):
        t[name] = t[name][~t[name]["episode_id"].isin(episode_ids)]
    t["assessment_factors"] = t["assessment_factors"][~t["assessment_factors"]["assessment_id"].isin(gone_a)]
    t["cp_reviews"] = t["cp_reviews"][~t["cp_reviews"]["cpp_id"].isin(gone_c)]
    for name in ("cin_episodes", "assessments", "assessment_factors", "cin_plans", "section47", "cp_plans",
                 "cp_reviews"):
        t[name] = t[name].reset_index(drop=True)


def _cover_care(t: dict[str, pd.DataFrame], year: int, rng: np.random.Generator, skip: set) -> None:
    """Each child looked after in the year has one CIN episode open over all their care in the year.

    A child no episode covers so gets a clean one of its own, as casework makes it (an existing episode
    is never widened: its assessment, enquiry or closure reason would no longer fit it): referred the day
    the first of those care episodes began, assessed within days and the assessment authorised with the
    factors found, no plan (the child's care plan is the 903's business), closed the day care ended with
    the reason care ended (open while care is). The child's episodes it overlaps go, with what belongs to
    them. Children in ``skip`` (given a fault of another kind) are left as injected.
    """
    _, ref = _period(year)
    care = _care_in_year(t, year)
    ep = t["cin_episodes"]
    p = ep[["child_id", "CINreferralDate", "CINclosureDate"]].merge(care, left_on="child_id", right_index=True)
    covered = (p["CINreferralDate"] <= p["first"]) & (p["CINclosureDate"].isna() | (p["CINclosureDate"] >= p["last"]))
    need = care.drop(index=set(p.loc[covered, "child_id"]) | set(skip), errors="ignore")
    if need.empty:
        return
    began, ended = need["began"], need["ended"].mask(need["open"])
    span = pd.DataFrame({"child_id": need.index, "_from": began.to_numpy(), "_to": ended.to_numpy()})
    others = ep[["episode_id", "child_id", "CINreferralDate", "CINclosureDate"]].merge(span, on="child_id")
    overlap = (others["_to"].isna() | (others["CINreferralDate"] <= others["_to"])) & (
        others["CINclosureDate"].isna() | (others["CINclosureDate"] >= others["_from"]))
    _drop_episodes(t, set(others.loc[overlap, "episode_id"]))
    _add_care_episodes(t, need.assign(ended=ended), ref, rng)


# Why care ended (903 REC) -> why the CIN episode closed: adopted (RC1), a child arrangements or residence
# order (RC3), a special guardianship order (RC4), care taken over by another LA (RC5), moved to adult
# services (RC6); anything else "services ceased for any other reason" (RC7). Reading: the census guide
# asks for the reason the case closed, which here is the end of care; RC2 (died) is never used, as no
# generated child in care dies.
CLOSURE_FOR_REC = {"E11": "RC1", "E12": "RC1", "E41": "RC3", "E45": "RC4", "E46": "RC4", "E3": "RC5", "E47": "RC6",
                   "E7": "RC6"}


def _add_care_episodes(t: dict[str, pd.DataFrame], need: pd.DataFrame, ref: pd.Timestamp,
                       rng: np.random.Generator) -> None:
    """A further-action episode (ids after every existing one) per row of ``need`` (child_id index; began,
    ended, rec), with an assessment started 0..5 days after the referral and authorised 10..40 days later
    (not after the closure; blank while it runs past 31 March) and its factors."""
    n = len(need)
    ep = t["cin_episodes"]
    numbers = pd.to_numeric(ep["episode_id"].astype("str").str.extract(r"^R(\d+)$")[0], errors="coerce")
    first = int(numbers.max()) + 1 if numbers.notna().any() else 1
    ids = np.arange(first, first + n)
    began = need["began"].to_numpy().astype("datetime64[D]")
    ended = need["ended"].to_numpy().astype("datetime64[D]")
    limit = np.where(np.isnat(ended), np.datetime64(ref.date(), "D"), ended)
    a_start = np.minimum(began + random_days(rng, 0, 5, n), limit)
    a_auth = np.minimum(a_start + random_days(rng, 10, 40, n), limit)
    a_auth = nat_where(a_auth, np.isnat(ended) & (a_auth >= np.datetime64(ref.date(), "D")))
    episodes = pd.DataFrame({
        "episode_id": make_ids("R", ids, 8), "child_id": need.index.to_numpy(),
        "CINreferralDate": as_dates(began), "ReferralSource": pick_codes(rng, REFERRAL_SOURCE, n),
        "PrimaryNeedCode": pick_codes(rng, PRIMARY_NEED, n), "CINclosureDate": as_dates(ended),
        "ReasonForClosure": np.where(np.isnat(ended), None, need["rec"].map(CLOSURE_FOR_REC).fillna("RC7").to_numpy()),
        "ReferralNFA": pd.array(np.zeros(n, bool), dtype="boolean"),
    })
    assessments = pd.DataFrame({
        "assessment_id": make_ids("A", ids, 8), "episode_id": episodes["episode_id"].to_numpy(),
        "child_id": need.index.to_numpy(), "AssessmentActualStartDate": as_dates(a_start),
        "AssessmentAuthorisationDate": as_dates(a_auth),
    })
    factors = _factors(rng, assessments, np.zeros(n, bool))
    for name, new in (("cin_episodes", episodes), ("assessments", assessments), ("assessment_factors", factors)):
        old = t[name]
        t[name] = pd.concat([old, new.reindex(columns=old.columns).astype(old.dtypes.to_dict())], ignore_index=True)


def _end_plans_at_adoption(t: dict[str, pd.DataFrame], year: int) -> None:
    """No protection plan runs through a placement for adoption (it ends the day before the placement
    ends) or past an adoption (it ends on the adoption date); reviews after a plan's new end go, and so
    does a plan that would end the day it began."""
    _, ref = _period(year)
    eps = t["la_episodes"]
    cpp = t["cp_plans"]
    p = cpp[cpp["CPPstartDate"].notna()].reset_index().merge(eps, on="child_id")
    new_end = p["CPPendDate"].copy()
    placed = p["PLACE"].isin(ADOPTION_PLACEMENTS) & p["DECOM"].notna()
    through = placed & (p["CPPstartDate"] <= p["DECOM"]) & (p["CPPendDate"].fillna(ref) >= p["DEC"].fillna(ref))
    stop = (p["DEC"].fillna(ref) - pd.Timedelta(days=1)).where(lambda d: d >= p["CPPstartDate"], p["CPPstartDate"])
    new_end = new_end.mask(through, stop)
    adopted = p["REC"].isin(ADOPTED) & p["DEC"].notna()
    after = adopted & (p["CPPstartDate"] <= p["DEC"]) & (new_end.isna() | (new_end > p["DEC"]))
    new_end = new_end.mask(after, p["DEC"])
    changed = (through | after).to_numpy()
    if not changed.any():
        return
    ends = pd.Series(new_end[changed].to_numpy(), index=p.loc[changed, "index"].to_numpy()).groupby(level=0).min()
    cpp = cpp.copy()
    cpp.loc[ends.index, "CPPendDate"] = ends.to_numpy()
    # A plan begun on the placement's last day or on the adoption day would end the day it began (8840):
    # it was never one, and goes with its reviews.
    same_day = cpp.index.isin(ends.index) & (cpp["CPPendDate"] <= cpp["CPPstartDate"]).to_numpy()
    cpp = cpp[~same_day].reset_index(drop=True)
    t["cp_plans"] = cpp
    rev = t["cp_reviews"]
    end_of = cpp.set_index("cpp_id")["CPPendDate"]
    plan_end = pd.Series(end_of.reindex(rev["cpp_id"]).to_numpy(), index=rev.index)
    # A review keyed without a date (a fault) is left as it is: it cannot be said to fall after the end.
    kept = rev["cpp_id"].isin(set(cpp["cpp_id"])) & (plan_end.isna() | rev["CPPreviewDate"].isna()
                                                     | (rev["CPPreviewDate"] <= plan_end))
    t["cp_reviews"] = rev[kept].reset_index(drop=True)


def _la_upns(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    kids = t["children"]
    return kids.assign(UPN_KEY=upn_key(kids["UPN"]))


def _looked_after_now(t: dict[str, pd.DataFrame], year: int) -> set:
    _, ref = _period(year)
    eps = t["la_episodes"]
    return set(eps.loc[eps["DECOM"].notna() & (eps["DECOM"] <= ref) & (eps["DEC"].isna() | (eps["DEC"] > ref)),
                       "child_id"])


def _on_roll(roll: pd.DataFrame, ref: pd.Timestamp) -> pd.Series:
    return ((roll["entry_date"].isna() | (roll["entry_date"] <= ref))
            & (roll["leaving_date"].isna() | (roll["leaving_date"] >= ref))).astype(bool)


def _complete_roll(t: dict[str, pd.DataFrame], year: int, la: str, rng: np.random.Generator) -> None:
    """The generated roll stands for every roll the council supplies: each school-age child it knows with
    a UPN is on it (a current row, same UPN, date of birth and sex); no other pupil holds their UPNs;
    pupils looked after by this LA on 31 March are flagged in care with the LA as care authority."""
    _, ref = _period(year)
    kids = _la_upns(t)
    kids = kids[kids["UPN_KEY"].notna()]
    roll = t["school_pupils"].copy()
    for col, dtype in (("InCare", "boolean"), ("CareAuthority", "object")):
        if col not in roll:
            roll[col] = pd.Series(pd.NA if dtype == "boolean" else None, index=roll.index, dtype=dtype)
    key = upn_key(roll["UPN"])
    by_upn = kids.drop_duplicates("UPN_KEY").set_index("UPN_KEY")
    held = key.isin(by_upn.index)
    # A roll row holding one of our children's UPNs is that child: same date of birth and sex.
    for col in ("PersonBirthDate", "Sex"):
        roll.loc[held, col] = by_upn[col].reindex(key[held]).to_numpy()
    # Other pupils never hold a UPN our children hold, nor one another's (two pupils, one UPN).
    stray = ~held & key.notna() & (key.isin(set(kids["UPN_KEY"])) | key.duplicated(keep="first"))
    if stray.any():
        roll.loc[stray, "UPN"] = make_upns(rng, int(stray.sum()), year, np.full(int(stray.sum()), 9 * 365))
    current = set(key[held & _on_roll(roll, ref)])
    need = kids[school_age(kids["PersonBirthDate"], year) & ~kids["UPN_KEY"].isin(current)]
    need = need.drop_duplicates("UPN_KEY")
    added = pd.DataFrame({
        "pupil_id": ("X" + need["child_id"].astype(str)).to_numpy(), "UPN": need["UPN"].to_numpy(),
        "forename": need["forename"].to_numpy(), "surname": need["surname"].to_numpy(),
        "PersonBirthDate": need["PersonBirthDate"].to_numpy(), "Sex": need["Sex"].to_numpy(),
        "entry_date": pd.Series(ref - pd.Timedelta(days=400), index=range(len(need))),
        "leaving_date": pd.Series(pd.NaT, index=range(len(need)), dtype="datetime64[ns]"),
        "photo_file": ("photos/X" + need["child_id"].astype(str) + ".jpg").to_numpy(),
        "sen_status": "N", "ehcp": pd.array([False] * len(need), dtype="boolean"),
    })
    roll = pd.concat([roll, added.reindex(columns=roll.columns)], ignore_index=True)
    _flag_in_care(roll, t, year, la)
    t["school_pupils"] = roll


def _flag_in_care(roll: pd.DataFrame, t: dict[str, pd.DataFrame], year: int, la: str) -> None:
    kids = _la_upns(t)
    now = set(kids.loc[kids["child_id"].isin(_looked_after_now(t, year)), "UPN_KEY"].dropna())
    flagged = upn_key(roll["UPN"]).isin(now).to_numpy()
    roll["InCare"] = pd.array(flagged, dtype="boolean")
    roll["CareAuthority"] = pd.Series(np.where(flagged, la, None), index=roll.index, dtype="object")


def _pick(rng: np.random.Generator, candidates: pd.Index | list, k: int, used: set) -> list:
    pool = [c for c in pd.Index(candidates).unique() if c not in used]
    if not pool or k <= 0:
        return []
    chosen = list(rng.choice(np.array(pool, dtype=object), size=min(k, len(pool)), replace=False))
    used.update(chosen)
    return chosen


def _inject(t: dict[str, pd.DataFrame], year: int, la: str, rate: float, skip: set, rng: np.random.Generator,
            with_returns: bool) -> list[tuple]:
    if rate <= 0:
        return []
    start, ref = _period(year)
    kinds = [k for k in KINDS if with_returns or k not in RETURN_KINDS]
    k = max(1, round(rate * len(t["children"]) / len(KINDS)))
    used: set = set(skip)  # LA child ids and pupil ids already given a fault
    rows: list[tuple] = []
    kids = _la_upns(t)
    care = _care_in_year(t, year)
    cin_ids = set(t["cin_episodes"]["child_id"])
    in_both = care.index[care.index.isin(cin_ids)]
    roll = t["school_pupils"]
    roll_key = upn_key(roll["UPN"])
    child_of_upn = kids.dropna(subset=["UPN_KEY"]).drop_duplicates("UPN_KEY").set_index("UPN_KEY")["child_id"]
    pupil_child = pd.Series(child_of_upn.reindex(roll_key).to_numpy(), index=roll.index)
    # A child with a roll row, or a roll row of a child, is used as a pair: faults never share either.
    pair = dict(zip(roll["pupil_id"], pupil_child, strict=True))

    def take(candidates, n=k) -> list:
        chosen = _pick(rng, [c for c in candidates if pair.get(c) not in used], n, used)
        used.update(pair[c] for c in chosen if pd.notna(pair.get(c)))
        used.update(roll.loc[pupil_child.isin(chosen).to_numpy(), "pupil_id"])
        return chosen

    def record(ids, kind: str, rules: str | None = None) -> None:
        table, rule = KINDS[kind]
        rows.extend((i, kind, table, rules or rule) for i in ids)

    if "cross_looked_after_not_in_need" in kinds:  # X01: the child is missing from the CIN census
        chosen = take(in_both)
        gone = set(t["cin_episodes"].loc[t["cin_episodes"]["child_id"].isin(chosen), "episode_id"])
        _drop_episodes(t, gone)
        record(chosen, "cross_looked_after_not_in_need")
    if with_returns:
        header_kids = [c for c in in_both if c not in used]
        known = kids.set_index("child_id")
        for kind in RETURN_KINDS:
            if kind == "cross_upn_differs":
                ok = [c for c in header_kids if pd.notna(known.at[c, "UPN_KEY"])]
            elif kind == "cross_dob_differs":
                ok = [c for c in header_kids if pd.notna(known.at[c, "PersonBirthDate"])]
            else:
                ok = [c for c in header_kids if known.at[c, "Sex"] in ("M", "F")]
            record(take(ok), kind)
    eps = t["la_episodes"]
    in_year = eps["DECOM"].notna() & (eps["DEC"] >= start) & (eps["DEC"] <= ref)  # adopted in the year
    adoption = eps[in_year & eps["PLACE"].isin(ADOPTION_PLACEMENTS) & eps["REC"].isin(ADOPTED)
                   & eps["DEC"].notna() & (eps["DEC"] > eps["DECOM"]) & eps["child_id"].isin(in_both)]
    adoption = adoption.drop_duplicates("child_id").set_index("child_id")
    plans = []
    ep_of = t["cin_episodes"].sort_values("CINreferralDate").groupby("child_id")["episode_id"].last()
    for kind, begins, ends in (("cross_plan_through_adoption", "DECOM", "DEC"),
                               ("cross_plan_after_adoption", "DECOM+1", None)):
        pool = adoption.index.intersection(pd.Index(list(cin_ids)))
        # Adoptions in a year are few: the first kind takes at most half of them, so both kinds get some.
        chosen = take(pool, min(k, max(1, len(pool) // 2)) if kind == "cross_plan_through_adoption" else k)
        for c in chosen:
            decom = adoption.at[c, "DECOM"]
            first = decom if begins == "DECOM" else decom + pd.Timedelta(days=1)
            plans.append({"cpp_id": f"CX{len(plans):06d}", "episode_id": ep_of[c], "child_id": c,
                          "CPPstartDate": first, "CPPendDate": adoption.at[c, "DEC"] if ends else pd.NaT,
                          "InitialCategoryOfAbuse": "NEG", "LatestCategoryOfAbuse": "NEG",
                          "NumberOfPreviousCPP": "0"})
        record(chosen, kind)
    if plans:
        t["cp_plans"] = pd.concat([t["cp_plans"], pd.DataFrame(plans).reindex(columns=t["cp_plans"].columns)
                                   .astype({"CPPstartDate": "datetime64[ns]", "CPPendDate": "datetime64[ns]"})],
                                  ignore_index=True)
    on_roll = _on_roll(roll, ref)
    lac_now = _looked_after_now(t, year)
    cin_ep = t["cin_episodes"]
    open_in_year = cin_ep["CINreferralDate"].notna() & (cin_ep["CINreferralDate"] <= ref) & (
        cin_ep["CINclosureDate"].isna() | (cin_ep["CINclosureDate"] >= start))
    in_returns = set(cin_ep.loc[open_in_year, "child_id"]) | set(care.index)
    school = kids[school_age(kids["PersonBirthDate"], year) & kids["UPN_KEY"].notna()
                  & kids["child_id"].isin(in_returns)]
    with_row = set(pupil_child[on_roll & pupil_child.notna()])
    if "cross_not_on_roll" in kinds:  # X07: the child's rows leave the roll
        chosen = take([c for c in school["child_id"] if c in with_row and c not in lac_now])
        t["school_pupils"] = roll = roll[~pupil_child.isin(chosen).to_numpy()].reset_index(drop=True)
        roll_key = upn_key(roll["UPN"])
        pupil_child = pd.Series(child_of_upn.reindex(roll_key).to_numpy(), index=roll.index)
        on_roll = _on_roll(roll, ref)
        record(chosen, "cross_not_on_roll")
    roll = t["school_pupils"]
    if "cross_roll_differs" in kinds:  # X08: the roll's date of birth is a day out (the child's only row)
        single = ~roll_key.duplicated(keep=False)
        chosen = take(roll.loc[on_roll & pupil_child.isin(in_returns) & single, "pupil_id"])
        rows_ = roll["pupil_id"].isin(chosen)
        roll.loc[rows_, "PersonBirthDate"] = roll.loc[rows_, "PersonBirthDate"] + pd.Timedelta(days=1)
        record(chosen, "cross_roll_differs")
    if "cross_flagged_not_looked_after" in kinds:  # X09: flagged in our care, not looked after
        ok = roll.loc[on_roll & ~pupil_child.isin(lac_now) & ~roll["InCare"].fillna(False).astype(bool), "pupil_id"]
        chosen = take(ok)
        rows_ = roll["pupil_id"].isin(chosen)
        roll.loc[rows_, "InCare"] = True
        roll.loc[rows_, "CareAuthority"] = la
        record(chosen, "cross_flagged_not_looked_after")
    if "cross_not_flagged" in kinds:  # X10: looked after by us, the roll does not say so
        flagged_now = set(pupil_child[on_roll])
        chosen = take([c for c in school["child_id"] if c in lac_now and c in flagged_now])
        rows_ = pupil_child.isin(chosen)
        roll.loc[rows_, "InCare"] = False
        roll.loc[rows_, "CareAuthority"] = None
        record(chosen, "cross_not_flagged")
    if "cross_upn_shared" in kinds:  # X11: a second pupil, not ours, is given another such pupil's UPN
        strangers = roll[pupil_child.isna() & roll["UPN"].notna() & roll["PersonBirthDate"].notna()]
        chosen = take(strangers["pupil_id"], 2 * k)
        first, second = chosen[: len(chosen) // 2], chosen[len(chosen) // 2: 2 * (len(chosen) // 2)]
        at = pd.Index(roll["pupil_id"])
        ia, ib = roll.index[at.get_indexer(first)], roll.index[at.get_indexer(second)]
        roll.loc[ib, "UPN"] = roll.loc[ia, "UPN"].to_numpy()
        same = (roll.loc[ib, "PersonBirthDate"].to_numpy() == roll.loc[ia, "PersonBirthDate"].to_numpy())
        roll.loc[ib[same], "PersonBirthDate"] = roll.loc[ib[same], "PersonBirthDate"] + pd.Timedelta(days=30)
        record([*first, *second], "cross_upn_shared")
    t["school_pupils"] = roll.reset_index(drop=True)
    return rows
