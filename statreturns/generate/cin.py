"""CIN histories: referrals in their own slice of a child's window, then assessment, section 47,
initial conference and plan in the order casework does them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from statreturns.generate.draw import (
    DAY,
    as_dates,
    make_ids,
    nat_where,
    pick_codes,
    random_days,
    weekday_after,
    weekday_before,
)
from statreturns.ssd import previous_plans

REFERRAL_SOURCE = {"1A": .05, "1B": .01, "1C": .02, "1D": .01, "2A": .19, "2B": .01, "3A": .03, "3B": .02,
                   "3C": .01, "3D": .03, "3E": .04, "3F": .05, "4": .02, "5A": .06, "5B": .03, "5C": .04,
                   "5D": .04, "6": .29, "7": .01, "8": .02, "9": .01, "10": .01}
PRIMARY_NEED = {"N1": .57, "N2": .04, "N3": .03, "N4": .11, "N5": .13, "N6": .02, "N7": .002, "N8": .06,
                "N9": .038}
CLOSURE_REASON = {"RC1": .005, "RC3": .01, "RC4": .01, "RC5": .03, "RC6": .02, "RC7": .92}
FACTORS = ["1B", "2B", "3A", "3B", "4B", "4A", "5B", "6B", "7A", "9A", "10A", "11A", "13A", "14A", "15A",
           "16A", "17A", "18B", "18C", "19B", "19C", "20", "22A", "23A", "24A"]
ABUSE = {"NEG": .52, "EMO": .36, "PHY": .06, "SAB": .04, "MUL": .02}


def cin_records(rng: np.random.Generator, children: pd.DataFrame, ref: np.datetime64) -> dict[str, pd.DataFrame]:
    n = len(children)
    dob = children["PersonBirthDate"].to_numpy().astype("datetime64[D]")
    expected = children["ExpectedPersonBirthDate"].to_numpy().astype("datetime64[D]")
    earliest = np.where(np.isnat(dob), expected - 150 * DAY, dob)
    window_start = np.maximum(ref - 730 * DAY, earliest)
    leavers = (ref - dob) > (18 * 365) * DAY
    window_start = np.where(leavers, dob + (12 * 365) * DAY, window_start)
    window_end = np.where(leavers, dob + 6570 * DAY, ref)
    span = ((window_end - window_start) // DAY).astype(int)
    span = np.maximum(span, 1)
    # Each referral gets its own slice of the child's window (at least 120 days), so none overlap.
    per_child = np.minimum(np.minimum(1 + rng.poisson(0.35, n), 3), np.maximum(span // 120, 1))
    child_idx = np.repeat(np.arange(n), per_child)
    m = len(child_idx)
    rank = np.arange(m) - np.repeat(np.cumsum(per_child) - per_child, per_child)
    is_last = rank == per_child[child_idx] - 1
    slot = span[child_idx] // per_child[child_idx]
    start = window_start[child_idx] + (rank * slot + rng.integers(0, np.maximum(slot // 4, 1))) * DAY
    # Earlier referrals close inside their slice; the last one may still be open on 31 March.
    horizon = np.where(is_last, window_end[child_idx], window_start[child_idx] + ((rank + 1) * slot - 1) * DAY)
    clip = lambda d: np.minimum(d, horizon)  # noqa: E731 - tiny local helper
    nfa = rng.random(m) < 0.22
    a_start = clip(start + random_days(rng, 0, 12, m))
    a_auth = clip(a_start + random_days(rng, 10, 60, m))
    # A section 47 enquiry starts on a weekday once the assessment is under way; its initial conference
    # is held on a weekday 7 to 20 days later (rules 2991Q, 8870Q, 8875).
    s47_start = weekday_after(a_start + random_days(rng, 0, 8, m))
    s47 = (~nfa) & (rng.random(m) < 0.30) & (s47_start <= horizon)
    icpc = s47 & (rng.random(m) < 0.55)
    icpc_date = clip(weekday_before(s47_start + random_days(rng, 7, 20, m)))
    cpp = icpc & (rng.random(m) < 0.8)
    cpp_end = clip(icpc_date + random_days(rng, 90, 520, m))
    # The assessment is authorised once the conference has been held (or the enquiry has run without
    # one), so a census that shows the enquiry shows its assessment too (2991Q).
    s47_end = np.where(icpc, icpc_date, s47_start)
    a_auth = np.where(s47, clip(np.maximum(a_auth, s47_end + random_days(rng, 0, 5, m))), a_auth)
    plan = (~nfa) & (~cpp) & (~(s47 & ~icpc)) & (rng.random(m) < 0.45)
    plan_start = clip(a_auth + random_days(rng, 0, 10, m))
    plan_end = clip(plan_start + random_days(rng, 60, 420, m))
    # "Closed after assessment" (RC8, RC9) only where the assessment was all that happened (2990); an
    # assessment that found no factors (21) closes the case the day it is authorised (8873Q).
    activity = s47 | cpp | plan
    no_factors = ~nfa & ~activity & (rng.random(m) < 0.3)
    # A case with nothing after its assessment, or with an enquiry that needed no conference, closes the
    # day the assessment is authorised: every census that holds the episode holds its assessment (8825Q).
    at_auth = ~nfa & (~activity | (s47 & ~icpc))
    last = np.maximum.reduce([a_auth, np.where(cpp, cpp_end, a_auth), np.where(plan, plan_end, a_auth)])
    close = np.where(nfa, start, np.where(at_auth, a_auth, clip(last + random_days(rng, 0, 25, m))))
    # Still open on 31 March: the last referral when its work runs to the reference date.
    open_ = is_last & ~nfa & np.where(at_auth, a_auth >= ref, last + 25 * DAY >= ref) & (window_end[child_idx] == ref)
    ep_ids = make_ids("R", np.arange(1, m + 1), 8)
    child_ids = children["child_id"].to_numpy()[child_idx]
    # An NFA referral had no assessment, so it closes for "any other reason" (RC8/RC9 need one, 8825Q).
    after_assessment = pick_codes(rng, {"RC8": .63, "RC9": .37}, m)
    reason = np.where(nfa, "RC7", np.where(activity, pick_codes(rng, CLOSURE_REASON, m),
                                           np.where(no_factors, after_assessment,
                                                    pick_codes(rng, {"RC7": .3, "RC8": .45, "RC9": .25}, m))))
    episodes = pd.DataFrame({
        "episode_id": ep_ids,
        "child_id": child_ids,
        "CINreferralDate": as_dates(start),
        "ReferralSource": pick_codes(rng, REFERRAL_SOURCE, m),
        "PrimaryNeedCode": np.where(nfa, None, pick_codes(rng, PRIMARY_NEED, m)),
        "CINclosureDate": as_dates(nat_where(close, open_)),
        "ReasonForClosure": np.where(open_, None, reason),
        "ReferralNFA": pd.array(nfa, dtype="boolean"),
    })
    # An end date clipped to 31 March means the work was still running: leave it blank.
    keep = lambda mask, col: nat_where(col, ((col >= ref) & is_last) | ~mask)  # noqa: E731
    has_assessment = ~nfa & (a_start <= ref)
    a_idx = np.flatnonzero(has_assessment)
    assessments = pd.DataFrame({
        "assessment_id": make_ids("A", a_idx + 1, 8),
        "episode_id": ep_ids[a_idx],
        "child_id": child_ids[a_idx],
        "AssessmentActualStartDate": as_dates(a_start[a_idx]),
        "AssessmentAuthorisationDate": as_dates(keep(np.ones(m, bool), a_auth)[a_idx]),
    })
    factors = _factors(rng, assessments, no_factors[a_idx])
    s_idx = np.flatnonzero(s47 & (s47_start <= ref))
    held = icpc[s_idx] & (icpc_date[s_idx] <= ref)
    section47 = pd.DataFrame({
        "s47_id": make_ids("S", s_idx + 1, 8),
        "episode_id": ep_ids[s_idx],
        "child_id": child_ids[s_idx],
        "S47ActualStartDate": as_dates(s47_start[s_idx]),
        "InitialCPCtarget": as_dates(s47_start[s_idx] + 21 * DAY),
        "DateOfInitialCPC": as_dates(nat_where(icpc_date[s_idx], ~held)),
        "ICPCnotRequired": pd.array(~icpc[s_idx], dtype="boolean"),
    })
    c_idx = np.flatnonzero(cpp & (icpc_date <= ref))
    cp_plans = pd.DataFrame({
        "cpp_id": make_ids("C", c_idx + 1, 8),
        "episode_id": ep_ids[c_idx],
        "child_id": child_ids[c_idx],
        "CPPstartDate": as_dates(icpc_date[c_idx]),
        "CPPendDate": as_dates(keep(np.ones(m, bool), cpp_end)[c_idx]),
        "InitialCategoryOfAbuse": pick_codes(rng, ABUSE, len(c_idx)),
        "LatestCategoryOfAbuse": pick_codes(rng, ABUSE, len(c_idx)),
        "NumberOfPreviousCPP": None,
    })
    cp_plans = previous_plans(cp_plans)
    p_idx = np.flatnonzero(plan & (plan_start <= ref))
    cin_plans = pd.DataFrame({
        "plan_id": make_ids("N", p_idx + 1, 8),
        "episode_id": ep_ids[p_idx],
        "child_id": child_ids[p_idx],
        "CINPlanStartDate": as_dates(plan_start[p_idx]),
        "CINPlanEndDate": as_dates(keep(np.ones(m, bool), plan_end)[p_idx]),
    })
    return {
        "cin_episodes": episodes,
        "assessments": assessments,
        "assessment_factors": factors,
        "section47": section47,
        "cp_plans": cp_plans,
        "cp_reviews": _cp_reviews(cp_plans, ref),
        "cin_plans": cin_plans,
    }


def _factors(rng: np.random.Generator, assessments: pd.DataFrame, none_found: np.ndarray) -> pd.DataFrame:
    """Factors of authorised assessments only (8614); "21 no factors identified" stands alone (8869)."""
    n = len(assessments)
    count = np.where(none_found, 1, rng.integers(1, 4, n))
    idx = np.repeat(np.arange(n), count)
    codes = np.array(FACTORS, dtype=object)[rng.integers(0, len(FACTORS), len(idx))]
    codes[none_found[idx]] = "21"
    frame = pd.DataFrame({
        "assessment_id": assessments["assessment_id"].to_numpy()[idx],
        "child_id": assessments["child_id"].to_numpy()[idx],
        "AssessmentFactors": codes,
    })
    authorised = assessments["AssessmentAuthorisationDate"].notna().to_numpy()[idx]
    return frame.loc[authorised].drop_duplicates().reset_index(drop=True)


def _cp_reviews(cp_plans: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    """A first review three months after the plan starts, then every six months while it runs."""
    start = cp_plans["CPPstartDate"].to_numpy().astype("datetime64[D]")
    end = cp_plans["CPPendDate"].to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(end), ref, end)
    offsets = np.array([90, 270, 450, 630])
    dates = start[:, None] + offsets[None, :] * DAY
    ok = dates <= end[:, None]
    row, k = np.nonzero(ok)
    return pd.DataFrame({
        "cpp_id": cp_plans["cpp_id"].to_numpy()[row],
        "child_id": cp_plans["child_id"].to_numpy()[row],
        "CPPreviewDate": as_dates(dates[row, k]),
    })
