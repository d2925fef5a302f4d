"""One primary school's roll: current pupils and recent leavers, some of them known to the LA."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from statreturns.generate.draw import DAY, FORENAMES, SURNAMES, as_dates, make_ids, make_upns, nat_where

if TYPE_CHECKING:
    from statreturns.generate.model import Config


def school_roll(rng: np.random.Generator, cfg: Config, children: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    n = cfg.school_pupils if cfg.school_pupils is not None else max(60, cfg.children // 3)
    # Ages 4 to 18: under 11 mostly on roll, older ones left at the end of year 6 (or moved earlier).
    age_days = rng.integers(4 * 365 + 200, 18 * 365, n)
    dob = ref - age_days * DAY
    reception = np.array([np.datetime64(f"{y}-09-01") for y in
                          (dob.astype("datetime64[Y]").astype(int) + 1970 + 5)], dtype="datetime64[D]")
    entry = reception + np.where(rng.random(n) < 0.85, 0, rng.integers(30, 900, n)) * DAY
    year6_end = reception + (7 * 365 - 50) * DAY
    moved = rng.random(n) < 0.1
    leaving = np.where(moved, entry + rng.integers(100, 1500, n) * DAY, year6_end)
    on_roll = leaving > ref
    leaving = nat_where(np.minimum(leaving, year6_end), on_roll)
    entry = np.minimum(entry, ref)
    upn = make_upns(rng, n, cfg.year, age_days)
    # About one pupil in ten is also known to the LA's children's services: same UPN, same person.
    la_known = children.loc[children["UPN"].notna() & children["PersonBirthDate"].notna()]
    k = min(len(la_known), n // 10)
    shared = la_known.sample(k, random_state=int(rng.integers(0, 2**31))) if k else la_known.iloc[0:0]
    sen = np.where(rng.random(n) < 0.13, "K", "N").astype(object)
    sen[rng.random(n) < 0.03] = "E"
    pupil_ids = make_ids("S", rng.permutation(np.arange(1, n + 1)) + 500_000, 7)
    frame = pd.DataFrame({
        "pupil_id": pupil_ids,
        "UPN": upn,
        "forename": np.array(FORENAMES, dtype=object)[rng.integers(0, len(FORENAMES), n)],
        "surname": np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)],
        "PersonBirthDate": as_dates(dob),
        "Sex": np.where(rng.random(n) < 0.51, "M", "F").astype(object),
        "entry_date": as_dates(entry),
        "leaving_date": as_dates(leaving),
        "photo_file": np.char.add(np.char.add("photos/", pupil_ids.astype(str)), ".jpg").astype(object),
        "sen_status": sen,
        "ehcp": pd.array(sen == "E", dtype="boolean"),
    })
    if k:
        frame.loc[: k - 1, ["UPN", "forename", "surname", "PersonBirthDate", "Sex"]] = shared[
            ["UPN", "forename", "surname", "PersonBirthDate", "Sex"]].to_numpy()
    return frame
