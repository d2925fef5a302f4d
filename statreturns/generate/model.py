"""A seeded generator of realistic, entirely fictional children's records in the canonical model.

Everything is vectorised with numpy so that England-size runs (500,000 children) take seconds. Dates
follow the order real casework does (referral, assessment, section 47, initial conference, plan;
looked-after episodes that chain without overlap) and codes are drawn with plausible frequencies.
Names come from an obviously fake list. Faults of the kinds caseworkers make are injected afterwards
(``faults.py``), so clean data and faulty data can be told apart in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from statreturns.reference import data_path
from statreturns.upn import check_letters

FORENAMES = ("Testy", "Fakeira", "Mocksy", "Sampla", "Dummo", "Placeholda", "Fictiona", "Synthia", "Demetra",
             "Proxima", "Stubby", "Exampla", "Notareal", "Madeup", "Pretenda", "Imagina")
SURNAMES = ("Testperson", "Fakeson", "Mockworth", "Dummyfield", "Samplewood", "Synthetica", "Notrealton",
            "Placeholder", "Fictionby", "Demoford", "Stubbington", "Examplesmith", "Proxyham", "Madeupshire")

ETHNICITY = {"WBRI": .62, "WIRI": .005, "WIRT": .003, "WOTH": .06, "WROM": .008, "MWBC": .03, "MWBA": .01,
             "MWAS": .01, "MOTH": .03, "AIND": .015, "APKN": .03, "ABAN": .01, "AOTH": .01, "BCRB": .015,
             "BAFR": .045, "BOTH": .01, "CHNE": .003, "OOTH": .03, "REFU": .006, "NOBT": .03}
REFERRAL_SOURCE = {"1A": .05, "1B": .01, "1C": .02, "1D": .01, "2A": .19, "2B": .01, "3A": .03, "3B": .02,
                   "3C": .01, "3D": .03, "3E": .04, "3F": .05, "4": .02, "5A": .06, "5B": .03, "5C": .04,
                   "5D": .04, "6": .29, "7": .01, "8": .02, "9": .01, "10": .01}
PRIMARY_NEED = {"N1": .57, "N2": .04, "N3": .03, "N4": .11, "N5": .13, "N6": .02, "N7": .002, "N8": .06,
                "N9": .038}
CLOSURE_REASON = {"RC1": .005, "RC2": .002, "RC3": .01, "RC4": .01, "RC5": .03, "RC6": .02, "RC7": .45,
                  "RC8": .30, "RC9": .173}
FACTORS = ["1B", "2B", "3A", "3B", "4B", "4A", "5B", "6B", "7A", "9A", "10A", "11A", "13A", "14A", "15A",
           "16A", "17A", "18B", "18C", "19B", "19C", "20", "22A", "23A", "24A"]
ABUSE = {"NEG": .52, "EMO": .36, "PHY": .06, "SAB": .04, "MUL": .02}
DISABILITY = ["MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"]
LEGAL_FIRST = {"C2": .30, "C1": .25, "V2": .30, "E1": .03, "L2": .04, "L1": .04, "J1": .02, "V3": .02}
PLACE = {"U4": .34, "U6": .12, "U1": .10, "U3": .06, "U5": .01, "K2": .12, "K3": .06, "P1": .07, "R1": .02,
         "S1": .02, "A5": .02, "A4": .01, "R5": .01, "Z11": .04}
PROVIDER = {"U": ("PR1", "PR4"), "K": ("PR4", "PR1"), "P": ("PR0",), "R": ("PR3", "PR4"), "S": ("PR5", "PR4"),
            "A": ("PR1", "PR2"), "Z": ("PR4",)}
REC_FINAL = {"E4A": .28, "E4B": .03, "E8": .08, "E11": .10, "E41": .07, "E45": .05, "E47": .04, "E13": .05,
             "E17": .05, "E5": .06, "E6": .03, "E7": .02, "E3": .03, "E9": .02, "E14": .09}
PLACE_CHANGE = {"CARPL": .45, "CREQB": .12, "CREQO": .10, "CHILD": .05, "LAREQ": .12, "CLOSE": .05,
                "STAND": .02, "ALLEG": .02, "OTHER": .07}
SW_REASON = ["MANAGE", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "OTHERS"]
UPN_LAS = ["356", "352", "350", "357", "358", "359", "353", "354", "355", "351", "341", "876", "938"]

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Config:
    children: int = 300
    seed: int = 20260331
    year: int = 2026  # collection year: reference date 31 March of this year
    la_code: str = "356"
    la_gss: str = "E08000007"
    school_pupils: int | None = None  # default: one primary school of about a third as many pupils
    fault_rate: float = 0.03


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _ids(prefix: str, numbers: np.ndarray, width: int = 7) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def _days(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return rng.integers(low, high + 1, size=n) * DAY


def _dates(values: np.ndarray) -> pd.Series:
    return pd.Series(values.astype("datetime64[D]").astype("datetime64[ns]"))


def _nat_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype("datetime64[D]").copy()
    out[mask] = np.datetime64("NaT")
    return out


def _postcodes() -> pd.DataFrame:
    return pd.read_csv(data_path("reference", "demo_postcodes.csv"), dtype="str")


def generate(cfg: Config) -> dict[str, pd.DataFrame]:
    """All canonical tables for one fictional LA and one primary school, without faults."""
    rng = np.random.default_rng(cfg.seed)
    ref = np.datetime64(f"{cfg.year}-03-31", "D")
    children = _children(rng, cfg, ref)
    tables: dict[str, pd.DataFrame] = {"children": children}
    tables["disabilities"] = _disabilities(rng, children)
    tables.update(_cin(rng, children, ref))
    tables.update(_looked_after(rng, cfg, children, tables["cin_episodes"], ref))
    tables["school_pupils"] = _school(rng, cfg, children, ref)
    return tables


def _children(rng: np.random.Generator, cfg: Config, ref: np.datetime64) -> pd.DataFrame:
    n = cfg.children
    ids = _ids("P", rng.permutation(np.arange(1, n + 1)) + 1_000_000)
    # Ages to 18 for most; about 6% are older care leavers (to 21) whose care ended at 18.
    leaver = rng.random(n) < 0.06
    age_days = np.where(leaver, rng.integers(17 * 365 + 30, 21 * 365, n), rng.integers(0, 18 * 365 - 30, n))
    dob = ref - age_days * DAY
    unborn = (~leaver) & (rng.random(n) < 0.015)
    expected = np.where(unborn, ref + _days(rng, 10, 150, n), np.datetime64("NaT"))
    dob = _nat_where(dob, unborn)
    sex = np.where(rng.random(n) < 0.515, "M", "F").astype(object)
    sex[unborn] = "U"
    sex[(~unborn) & (rng.random(n) < 0.004)] = "U"
    school_age = age_days >= 5 * 365
    has_upn = school_age & (rng.random(n) < 0.96)
    upn = _make_upns(rng, n, cfg.year, age_days)
    upn = np.where(has_upn, upn, None)
    unknown = np.where(school_age, _pick(rng, {"UN2": .4, "UN3": .2, "UN4": .2, "UN5": .2}, n), "UN1")
    unknown = np.where(has_upn, None, unknown)
    pcs = _postcodes()
    home = pcs.loc[pcs["use"] == "home", "postcode"].to_numpy()
    # Every girl's record says whether she is a mother (the 903 requires it); a few older girls are.
    female = sex == "F"
    mother = np.where(female, "0", None).astype(object)
    is_mother = female & (age_days >= 14 * 365) & (rng.random(n) < 0.02)
    mother[is_mother] = "1"
    mc_dob = _nat_where(ref - rng.integers(30, 700, n) * DAY, ~is_mother)
    return pd.DataFrame({
        "child_id": ids,
        "forename": np.array(FORENAMES, dtype=object)[rng.integers(0, len(FORENAMES), n)],
        "surname": np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)],
        "UPN": upn,
        "FormerUPN": None,
        "UPNunknown": unknown,
        "PersonBirthDate": _dates(dob),
        "ExpectedPersonBirthDate": _dates(expected.astype("datetime64[D]")),
        "Sex": sex,
        "PersonDeathDate": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
        "Ethnicity": _pick(rng, ETHNICITY, n),
        "MOTHER": mother,
        "MC_DOB": _dates(mc_dob),
        "home_postcode": home[rng.integers(0, len(home), n)],
    })


def _make_upns(rng: np.random.Generator, n: int, year: int, age_days: np.ndarray) -> np.ndarray:
    la = np.array(UPN_LAS)[np.where(rng.random(n) < 0.7, 0, rng.integers(1, len(UPN_LAS), n))]
    school = np.char.zfill(rng.integers(2000, 7000, n).astype(str), 4)
    allocated = (year - (age_days // 365) + 4) % 100  # UPNs are issued on first school entry
    yy = np.char.zfill(allocated.astype(str), 2)
    serial = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
    body = pd.Series(np.char.add(np.char.add(np.char.add(la, school), yy), serial))
    return (check_letters(body) + body).to_numpy(dtype=object)


def _disabilities(rng: np.random.Generator, children: pd.DataFrame) -> pd.DataFrame:
    n = len(children)
    count = np.where(rng.random(n) < 0.1, rng.integers(1, 3, n), 0)
    child = np.repeat(children["child_id"].to_numpy(), np.maximum(count, 1))
    code = np.where(np.repeat(count, np.maximum(count, 1)) == 0, "NONE",
                    np.array(DISABILITY)[rng.integers(0, len(DISABILITY), len(child))])
    frame = pd.DataFrame({"child_id": child, "Disability": code.astype(object)})
    return frame.drop_duplicates().reset_index(drop=True)


def _cin(rng: np.random.Generator, children: pd.DataFrame, ref: np.datetime64) -> dict[str, pd.DataFrame]:
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
    a_start = clip(start + _days(rng, 0, 12, m))
    a_auth = clip(a_start + _days(rng, 10, 60, m))
    s47 = (~nfa) & (rng.random(m) < 0.30)
    s47_start = clip(start + _days(rng, 0, 20, m))
    icpc = s47 & (rng.random(m) < 0.55)
    icpc_date = clip(s47_start + _days(rng, 7, 20, m))
    cpp = icpc & (rng.random(m) < 0.8)
    cpp_end = clip(icpc_date + _days(rng, 90, 520, m))
    plan = (~nfa) & (~cpp) & (rng.random(m) < 0.45)
    plan_start = clip(a_auth + _days(rng, 0, 10, m))
    plan_end = clip(plan_start + _days(rng, 60, 420, m))
    last = np.maximum.reduce([a_auth, np.where(cpp, cpp_end, a_auth), np.where(plan, plan_end, a_auth)])
    close = np.where(nfa, start, clip(last + _days(rng, 0, 25, m)))
    # Still open on 31 March: the last referral when its work runs to the reference date.
    open_ = is_last & ~nfa & (last + 25 * DAY >= ref) & (window_end[child_idx] == ref)
    ep_ids = _ids("R", np.arange(1, m + 1), 8)
    child_ids = children["child_id"].to_numpy()[child_idx]
    reason = np.where(nfa, "RC8", _pick(rng, CLOSURE_REASON, m))
    episodes = pd.DataFrame({
        "episode_id": ep_ids,
        "child_id": child_ids,
        "CINreferralDate": _dates(start),
        "ReferralSource": _pick(rng, REFERRAL_SOURCE, m),
        "PrimaryNeedCode": np.where(nfa, None, _pick(rng, PRIMARY_NEED, m)),
        "CINclosureDate": _dates(_nat_where(close, open_)),
        "ReasonForClosure": np.where(open_, None, reason),
        "ReferralNFA": pd.array(nfa, dtype="boolean"),
    })
    # An end date clipped to 31 March means the work was still running: leave it blank.
    keep = lambda mask, col: _nat_where(col, ((col >= ref) & is_last) | ~mask)  # noqa: E731
    has_assessment = ~nfa & (a_start <= ref)
    a_idx = np.flatnonzero(has_assessment)
    assessments = pd.DataFrame({
        "assessment_id": _ids("A", a_idx + 1, 8),
        "episode_id": ep_ids[a_idx],
        "child_id": child_ids[a_idx],
        "AssessmentActualStartDate": _dates(a_start[a_idx]),
        "AssessmentAuthorisationDate": _dates(keep(np.ones(m, bool), a_auth)[a_idx]),
    })
    factors = _factors(rng, assessments)
    s_idx = np.flatnonzero(s47 & (s47_start <= ref))
    held = icpc[s_idx] & (icpc_date[s_idx] <= ref)
    section47 = pd.DataFrame({
        "s47_id": _ids("S", s_idx + 1, 8),
        "episode_id": ep_ids[s_idx],
        "child_id": child_ids[s_idx],
        "S47ActualStartDate": _dates(s47_start[s_idx]),
        "InitialCPCtarget": _dates(s47_start[s_idx] + 21 * DAY),
        "DateOfInitialCPC": _dates(_nat_where(icpc_date[s_idx], ~held)),
        "ICPCnotRequired": pd.array(~icpc[s_idx], dtype="boolean"),
    })
    c_idx = np.flatnonzero(cpp & (icpc_date <= ref))
    cp_plans = pd.DataFrame({
        "cpp_id": _ids("C", c_idx + 1, 8),
        "episode_id": ep_ids[c_idx],
        "child_id": child_ids[c_idx],
        "CPPstartDate": _dates(icpc_date[c_idx]),
        "CPPendDate": _dates(keep(np.ones(m, bool), cpp_end)[c_idx]),
        "InitialCategoryOfAbuse": _pick(rng, ABUSE, len(c_idx)),
        "LatestCategoryOfAbuse": _pick(rng, ABUSE, len(c_idx)),
        "NumberOfPreviousCPP": None,
    })
    from statreturns.ssd import previous_plans

    cp_plans = previous_plans(cp_plans)
    p_idx = np.flatnonzero(plan & (plan_start <= ref))
    cin_plans = pd.DataFrame({
        "plan_id": _ids("N", p_idx + 1, 8),
        "episode_id": ep_ids[p_idx],
        "child_id": child_ids[p_idx],
        "CINPlanStartDate": _dates(plan_start[p_idx]),
        "CINPlanEndDate": _dates(keep(np.ones(m, bool), plan_end)[p_idx]),
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


def _factors(rng: np.random.Generator, assessments: pd.DataFrame) -> pd.DataFrame:
    n = len(assessments)
    none_found = rng.random(n) < 0.08
    count = np.where(none_found, 1, rng.integers(1, 4, n))
    idx = np.repeat(np.arange(n), count)
    codes = np.array(FACTORS, dtype=object)[rng.integers(0, len(FACTORS), len(idx))]
    codes[none_found[idx]] = "21"
    frame = pd.DataFrame({
        "assessment_id": assessments["assessment_id"].to_numpy()[idx],
        "child_id": assessments["child_id"].to_numpy()[idx],
        "AssessmentFactors": codes,
    })
    return frame.drop_duplicates().reset_index(drop=True)


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
        "CPPreviewDate": _dates(dates[row, k]),
    })


def _looked_after(rng: np.random.Generator, cfg: Config, children: pd.DataFrame, episodes: pd.DataFrame,
                  ref: np.datetime64) -> dict[str, pd.DataFrame]:
    from statreturns.generate.looked_after import looked_after

    return looked_after(rng, cfg, children, episodes, ref)


def _school(rng: np.random.Generator, cfg: Config, children: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    from statreturns.generate.school import school_roll

    return school_roll(rng, cfg, children, ref)
