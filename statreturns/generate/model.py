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

from statreturns.generate.cin import cin_records
from statreturns.generate.cross_faults import make_consistent
from statreturns.generate.draw import (
    DAY,
    FORENAMES,
    SURNAMES,
    as_dates,
    load_postcodes,
    make_ids,
    make_upns,
    nat_where,
    pick_codes,
    random_days,
)
from statreturns.generate.looked_after import looked_after
from statreturns.generate.school import school_roll

ETHNICITY = {"WBRI": .62, "WIRI": .005, "WIRT": .003, "WOTH": .06, "WROM": .008, "MWBC": .03, "MWBA": .01,
             "MWAS": .01, "MOTH": .03, "AIND": .015, "APKN": .03, "ABAN": .01, "AOTH": .01, "BCRB": .015,
             "BAFR": .045, "BOTH": .01, "CHNE": .003, "OOTH": .03, "REFU": .006, "NOBT": .03}
DISABILITY = ["MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"]


@dataclass(frozen=True)
class Config:
    children: int = 300
    seed: int = 20260331
    year: int = 2026  # collection year: reference date 31 March of this year
    la_code: str = "356"
    la_gss: str = "E08000007"
    school_pupils: int | None = None  # default: one primary school of about a third as many pupils
    fault_rate: float = 0.03
    # Make the returns and the school roll agree child by child (every child looked after has a CIN episode
    # over their care, the roll holds and flags them) and inject the cross checks' faults (issue #16,
    # generate/cross_faults.py). Off: each return and the roll are made on their own.
    cross: bool = True


def generate(cfg: Config) -> dict[str, pd.DataFrame]:
    """All canonical tables for one fictional LA and one primary school, without faults."""
    rng = np.random.default_rng(cfg.seed)
    ref = np.datetime64(f"{cfg.year}-03-31", "D")
    children = _children(rng, cfg, ref)
    tables: dict[str, pd.DataFrame] = {"children": children}
    tables["disabilities"] = _disabilities(rng, children)
    tables.update(cin_records(rng, children, ref))
    tables.update(looked_after(rng, cfg, children, ref))
    # Unaccompanied asylum-seeking children have no home address here, hence no home postcode.
    children.loc[children["child_id"].isin(tables["uasc"]["child_id"]), "home_postcode"] = None
    # A young mother's child is born while she is looked after or before, never after she left care (625).
    eps = tables["la_episodes"]
    left = eps.loc[eps["DEC"].notna()].groupby("child_id")["DEC"].max().drop(
        eps.loc[eps["DEC"].isna(), "child_id"], errors="ignore")
    after = children["child_id"].map(left)
    later = (children["MC_DOB"] > after).to_numpy()
    children.loc[later, "MC_DOB"] = after[later] - pd.Timedelta(days=30)
    tables["school_pupils"] = school_roll(rng, cfg, children, ref)
    if cfg.cross:
        make_consistent(tables, cfg)
    return tables


def _children(rng: np.random.Generator, cfg: Config, ref: np.datetime64) -> pd.DataFrame:
    n = cfg.children
    ids = make_ids("P", rng.permutation(np.arange(1, n + 1)) + 1_000_000)
    # Ages to 18 for most; about 6% are older care leavers (to 21) whose care ended at 18.
    leaver = rng.random(n) < 0.06
    age_days = np.where(leaver, rng.integers(17 * 365 + 30, 21 * 365, n), rng.integers(0, 18 * 365 - 30, n))
    dob = ref - age_days * DAY
    # Rules 189 and 197B disagree about a 17th birthday on 1 April (17 "at the beginning of the year",
    # yet turning 17 "in the year"): nobody here is born on 1 April, so a clean record meets both.
    first_april = (dob.astype("datetime64[M]") - dob.astype("datetime64[Y]")).astype(int) == 3
    first_april &= (dob - dob.astype("datetime64[M]")).astype(int) == 0
    dob = np.where(first_april, dob + DAY, dob)
    unborn = (~leaver) & (rng.random(n) < 0.015)
    expected = np.where(unborn, ref + random_days(rng, 10, 150, n), np.datetime64("NaT"))
    dob = nat_where(dob, unborn)
    sex = np.where(rng.random(n) < 0.515, "M", "F").astype(object)
    sex[unborn] = "U"
    school_age = age_days >= 5 * 365
    has_upn = school_age & (rng.random(n) < 0.96)
    upn = make_upns(rng, n, cfg.year, age_days)
    upn = np.where(has_upn, upn, None)
    # UN4 (UPN not yet obtained) would be wrong for a child looked after for a week by 31 March (210).
    unknown = np.where(school_age, pick_codes(rng, {"UN2": .5, "UN3": .25, "UN5": .25}, n), "UN1")
    unknown = np.where(has_upn, None, unknown)
    pcs = load_postcodes()
    home = pcs.loc[pcs["use"] == "home", "postcode"].to_numpy()
    # Every girl's record says whether she is a mother (the 903 requires it); a few older girls are.
    female = sex == "F"
    mother = np.where(female, "0", None).astype(object)
    is_mother = female & (age_days >= 14 * 365) & (rng.random(n) < 0.02)
    mother[is_mother] = "1"
    mc_dob = nat_where(ref - rng.integers(30, 700, n) * DAY, ~is_mother)
    return pd.DataFrame({
        "child_id": ids,
        "forename": np.array(FORENAMES, dtype=object)[rng.integers(0, len(FORENAMES), n)],
        "surname": np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)],
        "UPN": upn,
        "FormerUPN": None,
        "UPNunknown": unknown,
        "PersonBirthDate": as_dates(dob),
        "ExpectedPersonBirthDate": as_dates(expected.astype("datetime64[D]")),
        "Sex": sex,
        "PersonDeathDate": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
        "Ethnicity": pick_codes(rng, ETHNICITY, n),
        "MOTHER": mother,
        "MC_DOB": as_dates(mc_dob),
        "home_postcode": home[rng.integers(0, len(home), n)],
    })


def _disabilities(rng: np.random.Generator, children: pd.DataFrame) -> pd.DataFrame:
    n = len(children)
    count = np.where(rng.random(n) < 0.1, rng.integers(1, 3, n), 0)
    child = np.repeat(children["child_id"].to_numpy(), np.maximum(count, 1))
    # Codes dealt in turn, so even a small council's return shows the range of them (2887Q asks for 8).
    code = np.where(np.repeat(count, np.maximum(count, 1)) == 0, "NONE",
                    np.array(DISABILITY)[(rng.integers(0, len(DISABILITY)) + np.arange(len(child))) % len(DISABILITY)])
    frame = pd.DataFrame({"child_id": child, "Disability": code.astype(object)})
    return frame.drop_duplicates().reset_index(drop=True)
