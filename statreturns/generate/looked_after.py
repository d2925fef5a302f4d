"""Looked-after histories: episodes that chain without overlap, reviews, missing periods, outcomes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from statreturns.generate.draw import DAY, as_dates, load_postcodes, make_ids, nat_where, pick_codes

if TYPE_CHECKING:
    from statreturns.generate.model import Config

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
ADULT = 6574  # days to an 18th birthday, near enough for generated histories


def looked_after(rng: np.random.Generator, cfg: Config, children: pd.DataFrame, ref: np.datetime64) -> dict[str, pd.DataFrame]:
    dob_all = children["PersonBirthDate"].to_numpy().astype("datetime64[D]")
    born = ~np.isnat(dob_all)
    age = np.where(born, (ref - np.where(born, dob_all, ref)) // DAY, -1)
    leaver = age >= 17 * 365 + 30
    candidate = born & (age > 30)
    chosen = candidate & (leaver | (rng.random(len(children)) < 0.3))
    kids = children.loc[chosen].reset_index(drop=True)
    dob = dob_all[chosen]
    is_leaver = leaver[chosen]
    n = len(kids)
    adult = dob + ADULT * DAY
    end_limit = np.where(is_leaver, np.minimum(adult, ref), ref)
    first = np.maximum(dob + 1 * DAY, end_limit - rng.integers(30, 3 * 365, n) * DAY)
    count = np.minimum(1 + rng.poisson(1.2, n), 6)
    idx = np.repeat(np.arange(n), count)
    m = len(idx)
    rank = np.arange(m) - np.repeat(np.cumsum(count) - count, count)
    is_last = rank == count[idx] - 1
    # Episode boundaries: cumulative durations from the first start, clipped to the end limit.
    dur = np.maximum(rng.exponential(170, m).astype(int), 7)
    cs = np.cumsum(dur)
    before_group = np.repeat(np.r_[0, cs[np.cumsum(count)[:-1] - 1]], count)
    start_off = cs - dur - before_group
    decom = first[idx] + start_off * DAY
    dec = decom + dur * DAY
    limit = end_limit[idx]
    valid = decom < limit
    dec = np.minimum(dec, limit)
    # Drop episodes that would start after the limit; the last kept one becomes the last.
    decom, dec, idx, rank = decom[valid], dec[valid], idx[valid], rank[valid]
    m = len(idx)
    is_last = np.r_[idx[1:] != idx[:-1], True]
    reached_limit = dec >= end_limit[idx]
    open_ = is_last & reached_limit & (end_limit[idx] == ref)
    dec = nat_where(dec, open_)

    change = np.where(rank == 0, "S", pick_codes(rng, {"P": .62, "T": .08, "L": .22, "B": .05, "U": .03}, m))
    new_ls = (change == "S") | np.isin(change, ["L", "B", "U"])
    new_place = (change == "S") | np.isin(change, ["P", "T", "B", "U"])
    ls = pd.Series(np.where(new_ls, pick_codes(rng, LEGAL_FIRST, m), None)).groupby(idx).ffill()
    # A placement (type, provider, postcode, URN) is drawn when it starts and stays the same for every
    # episode until the next placement change, so an RNE L episode keeps its placement (rule 434).
    starts = np.flatnonzero(new_place)
    same_placement = starts[np.cumsum(new_place) - 1]
    place_arr = pick_codes(rng, _places(cfg.year), m)
    under_16 = (decom - dob[idx]) < 16 * 365 * DAY
    place_arr[(place_arr == "K3") & under_16] = "K2"  # supported accommodation is for 16 and over (371)
    place_arr = place_arr[same_placement]
    provider = _providers(rng, place_arr)[same_placement]
    rec = np.where(is_last, np.where(is_leaver[idx], pick_codes(rng, {"E17": .3, "E5": .3, "E6": .2, "E8": .2}, m),
                                     pick_codes(rng, REC_FINAL, m)), "X1").astype(object)
    rec[open_] = None
    next_change = np.concatenate([change[1:], np.array(["S"], dtype=object)])
    reason_change = np.where(~is_last & np.isin(next_change, ["P", "T", "B", "U"]), pick_codes(rng, PLACE_CHANGE, m),
                             None)
    home = kids["home_postcode"].to_numpy()[idx]
    pcs = load_postcodes()
    # Placements in England only: a placement outside England takes no URN (243).
    pool = pcs.loc[(pcs["use"] == "placement") & pcs["laua"].str.startswith("E"), "postcode"].to_numpy()
    pl_post = np.where(place_arr == "P1", home, pool[rng.integers(0, len(pool), m)][same_placement])
    urn = np.where(np.isin(place_arr, ["P1", "P3", "Z11"]), None,
                   make_ids("SC", rng.integers(100000, 999999, m), 6)[same_placement])
    child_ids = kids["child_id"].to_numpy()[idx]
    episodes = pd.DataFrame({
        "child_id": child_ids,
        "DECOM": as_dates(decom),
        "RNE": change.astype(object),
        "LS": ls.to_numpy(dtype=object),
        "CIN": pick_codes(rng, {"N1": .63, "N2": .03, "N3": .03, "N4": .08, "N5": .11, "N6": .01, "N7": .001,
                           "N8": .11}, m),
        "PLACE": place_arr,
        "PLACE_PROVIDER": provider,
        "DEC": as_dates(dec),
        "REC": rec,
        "REASON_PLACE_CHANGE": reason_change,
        "HOME_POST": home,
        "PL_POST": pl_post,
        "URN": urn,
    })
    # The category of need is the child's, not the episode's: carry the first one forward.
    episodes["CIN"] = episodes.groupby("child_id")["CIN"].transform("first")
    tables = {"la_episodes": episodes}
    tables.update(_adoptions(rng, episodes, kids, dob, ref))
    tables["la_reviews"] = _reviews(rng, tables["la_episodes"], kids, ref)
    tables["missing"] = _missing(rng, tables["la_episodes"], ref)
    tables["uasc"] = _uasc(rng, kids, dob, first, ref)
    # An unaccompanied child has no home postcode, so no distance from home either (406).
    eps = tables["la_episodes"]
    eps.loc[eps["child_id"].isin(tables["uasc"]["child_id"]), "HOME_POST"] = None
    tables["oc2"] = _oc2(rng, tables["la_episodes"], kids, dob, ref)
    tables["oc3"] = _oc3(rng, kids, is_leaver & (adult <= ref))
    tables["previous_permanence"] = _previous_permanence(rng, tables["la_episodes"], ref)
    tables["sw_episodes"] = _social_workers(rng, tables["la_episodes"], ref)
    tables["dolo"] = pd.DataFrame({"child_id": pd.Series(dtype="object"), "DOLO_START": as_dates(np.array([], "M8[D]")),
                                   "DOLO_END": as_dates(np.array([], "M8[D]"))})
    return tables


def _places(year: int) -> dict[str, float]:
    if year >= 2026:
        return PLACE
    return {("Z1" if k == "Z11" else k): v for k, v in PLACE.items()}


def _providers(rng: np.random.Generator, place: np.ndarray) -> np.ndarray:
    out = np.empty(len(place), dtype=object)
    first_letter = np.array([p[0] for p in place])
    for letter, options in PROVIDER.items():
        mask = first_letter == letter
        out[mask] = np.array(options, dtype=object)[rng.integers(0, len(options), mask.sum())]
    out[np.isin(place, ["Z11", "Z1"])] = None
    return out


def _adoptions(rng: np.random.Generator, episodes: pd.DataFrame, kids: pd.DataFrame, dob: np.ndarray,
               ref: np.datetime64) -> dict[str, pd.DataFrame]:
    """About a third of young children whose care ended are adopted: the last episode becomes A5 / E11."""
    eps = episodes.copy()
    last = eps.groupby("child_id").tail(1)
    age_at_end = (last["DEC"] - last["child_id"].map(dict(zip(kids["child_id"], dob, strict=True)))).dt.days
    pick = last["DEC"].notna() & (age_at_end < 5 * 365) & (last["DECOM"] > last["DEC"] - pd.Timedelta(days=400))
    pick &= pd.Series(rng.random(len(last)) < 0.35, index=last.index)
    rows = last.index[pick.to_numpy()]
    eps.loc[rows, ["LS", "PLACE", "PLACE_PROVIDER", "REC"]] = ["E1", "A5", "PR1", "E11"]
    chosen = eps.loc[rows]
    k = len(chosen)
    placed = chosen["DECOM"]
    decision = placed - pd.to_timedelta(rng.integers(60, 200, k), unit="D")
    first_decom = eps.groupby("child_id")["DECOM"].min()
    decision = decision.where(decision >= chosen["child_id"].map(first_decom), chosen["child_id"].map(first_decom))
    match = (placed - pd.to_timedelta(rng.integers(5, 40, k), unit="D")).where(lambda d: d >= decision, decision)
    ad1 = pd.DataFrame({
        "child_id": chosen["child_id"].to_numpy(),
        "DATE_INT": decision.to_numpy(),
        "DATE_MATCH": match.to_numpy(),
        "FOSTER_CARE": np.where(rng.random(k) < 0.15, "1", "0").astype(object),
        "NB_ADOPTR": np.where(rng.random(k) < 0.8, "2", "1").astype(object),
        "SEX_ADOPTR": None,
        "LS_ADOPTR": None,
        "adoption_order_date": chosen["DEC"].to_numpy(),
    })
    couple = ad1["NB_ADOPTR"] == "2"
    ad1["SEX_ADOPTR"] = np.where(couple, pick_codes(rng, {"MF": .85, "MM": .07, "FF": .08}, k),
                                 pick_codes(rng, {"F1": .85, "M1": .15}, k))
    ad1["LS_ADOPTR"] = np.where(couple, pick_codes(rng, {"L11": .7, "L12": .05, "L2": .05, "L3": .15, "L4": .05}, k),
                                "L0")
    placed_frame = pd.DataFrame({
        "child_id": ad1["child_id"],
        "DATE_PLACED": ad1["DATE_INT"],
        "DATE_PLACED_CEASED": pd.Series(pd.NaT, index=ad1.index, dtype="datetime64[ns]"),
        "REASON_PLACED_CEASED": None,
    })
    return {"la_episodes": eps, "ad1": ad1, "placed_for_adoption": placed_frame}


def _care_spans(episodes: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    g = episodes.groupby("child_id", sort=False)
    still_open = episodes["DEC"].isna().groupby(episodes["child_id"], sort=False).any()
    span = pd.DataFrame({"start": g["DECOM"].min(), "end": g["DEC"].max(), "open": still_open})
    span.loc[span["open"], "end"] = pd.Timestamp(ref)
    return span


def _reviews(rng: np.random.Generator, episodes: pd.DataFrame, kids: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    """First review within 20 days of entering care, the second three months later, then six-monthly."""
    span = _care_spans(episodes, ref)
    offsets = np.array([18, 110, 290, 470, 650, 830, 1010])
    start = span["start"].to_numpy().astype("datetime64[D]")
    end = span["end"].to_numpy().astype("datetime64[D]")
    dates = start[:, None] + offsets[None, :] * DAY
    row, k = np.nonzero(dates <= end[:, None])
    child = span.index.to_numpy()[row]
    dob = kids.set_index("child_id")["PersonBirthDate"].reindex(child).to_numpy().astype("datetime64[D]")
    young = (dates[row, k] - dob) < 4 * 365 * DAY
    code = np.where(young, "PN0", pick_codes(rng, {"PN1": .6, "PN2": .05, "PN3": .05, "PN4": .05, "PN5": .1,
                                              "PN6": .1, "PN7": .05}, len(row)))
    return pd.DataFrame({"child_id": child, "REVIEW": as_dates(dates[row, k]), "REVIEW_CODE": code.astype(object)})


def _missing(rng: np.random.Generator, episodes: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    span = _care_spans(episodes, ref)
    pick = rng.random(len(span)) < 0.12
    span = span.loc[pick]
    count = rng.integers(1, 4, len(span))
    idx = np.repeat(np.arange(len(span)), count)
    start = span["start"].to_numpy()[idx].astype("datetime64[D]")
    length = np.maximum((span["end"].to_numpy()[idx].astype("datetime64[D]") - start) // DAY, 1)
    mis_start = start + (rng.random(len(idx)) * length).astype(int) * DAY
    mis_end = mis_start + rng.integers(0, 4, len(idx)) * DAY
    frame = pd.DataFrame({
        "child_id": span.index.to_numpy()[idx],
        "MISSING": np.where(rng.random(len(idx)) < 0.6, "M", "A").astype(object),
        "MIS_START": as_dates(mis_start),
        "MIS_END": as_dates(nat_where(mis_end, mis_end > ref)),
    })
    return frame.drop_duplicates(["child_id", "MIS_START"]).sort_values(["child_id", "MIS_START"]).reset_index(
        drop=True)


def _uasc(rng: np.random.Generator, kids: pd.DataFrame, dob: np.ndarray, first: np.ndarray,
          ref: np.datetime64) -> pd.DataFrame:
    age_in = (first - dob) // DAY
    pick = (age_in >= 14 * 365) & (age_in < 17 * 365) & (rng.random(len(kids)) < 0.25)
    return pd.DataFrame({"child_id": kids["child_id"].to_numpy()[pick], "DUC": as_dates(dob[pick] + ADULT * DAY)})


def _oc2(rng: np.random.Generator, episodes: pd.DataFrame, kids: pd.DataFrame, dob: np.ndarray,
         ref: np.datetime64) -> pd.DataFrame:
    """Children looked after for the whole year to 31 March (no V3/V4 in this generator)."""
    span = _care_spans(episodes, ref)
    year_start = pd.Timestamp(ref) - pd.Timedelta(days=364)
    cla = span.index[(span["open"] & (span["start"] <= year_start - pd.Timedelta(days=1))).to_numpy()]
    n = len(cla)
    birth = pd.Series(dob, index=kids["child_id"]).reindex(cla).to_numpy().astype("datetime64[D]")
    age = ((ref - birth) // DAY) / 365.25
    sdq_age = (age >= 4) & (age < 17)
    scored = sdq_age & (rng.random(n) < 0.85)
    misuse = (age >= 11) & (rng.random(n) < 0.05)
    flag = lambda p: np.where(rng.random(n) < p, "1", "0").astype(object)  # noqa: E731
    return pd.DataFrame({
        "child_id": cla.to_numpy(),
        "SDQ_SCORE": np.where(scored, rng.integers(0, 41, n).astype(str), None),
        "SDQ_REASON": np.where(scored, None, np.where(sdq_age, pick_codes(rng, {"SDQ2": .3, "SDQ3": .3, "SDQ4": .2,
                                                                          "SDQ5": .2}, n), "SDQ1")),
        "CONVICTED": np.where(age >= 10, flag(0.04), None),
        "HEALTH_CHECK": np.where(age < 5, flag(0.9), None),
        "IMMUNISATIONS": flag(0.9),
        "TEETH_CHECK": flag(0.85),
        "HEALTH_ASSESSMENT": flag(0.92),
        "SUBSTANCE_MISUSE": np.where(misuse, "1", "0").astype(object),
        "INTERVENTION_RECEIVED": np.where(misuse, flag(0.7), None),
        "INTERVENTION_OFFERED": np.where(misuse, flag(0.9), None),
    })


def _oc3(rng: np.random.Generator, kids: pd.DataFrame, is_leaver: np.ndarray) -> pd.DataFrame:
    n = int(is_leaver.sum())
    touch = pick_codes(rng, {"YES": .86, "NO": .06, "REFU": .04, "NREQ": .03, "DIED": .002, "RHOM": .008}, n)
    none = np.isin(touch, ["DIED", "RHOM"])
    activ = np.where(none, "0", pick_codes(rng, {"F1": .25, "P1": .05, "F2": .15, "P2": .05, "F4": .1, "G4": .1,
                                            "G5": .2, "G6": .1}, n))
    accom = np.where(none, "0", pick_codes(rng, {"B1": .1, "C1": .15, "D1": .15, "E1": .1, "H1": .1, "S2": .1,
                                            "T1": .05, "U1": .1, "Z1": .1, "K2": .05}, n))
    accom = np.where(touch == "YES", accom, np.where(none, "0", accom))
    return pd.DataFrame({"child_id": kids["child_id"].to_numpy()[is_leaver], "IN_TOUCH": touch,
                         "ACTIV": activ.astype(object), "ACCOM": accom.astype(object)})


def _previous_permanence(rng: np.random.Generator, episodes: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    starts = episodes.loc[episodes["RNE"] == "S"]
    year_start = pd.Timestamp(ref) - pd.Timedelta(days=364)
    starts = starts.loc[starts["DECOM"] >= year_start]
    n = len(starts)
    perm = pick_codes(rng, {"Z1": .88, "P1": .02, "P2": .04, "P3": .03, "P4": .03}, n)
    had = perm != "Z1"
    date = (starts["DECOM"] - pd.to_timedelta(rng.integers(200, 3000, n), unit="D")).dt.strftime("%d/%m/%Y")
    unknown_day = had & (rng.random(n) < 0.2)
    date = np.where(unknown_day, "ZZ" + date.str[2:], date)
    return pd.DataFrame({
        "child_id": starts["child_id"].to_numpy(),
        "PREV_PERM": perm,
        "LA_PERM": np.where(had, rng.choice(np.array(["356", "352", "350", "WAL"], dtype=object), n), None),
        "DATE_PERM": np.where(had, date, None),
    })


def _social_workers(rng: np.random.Generator, episodes: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    span = _care_spans(episodes, ref)
    n = len(span)
    count = rng.integers(1, 4, n)
    idx = np.repeat(np.arange(n), count)
    start = span["start"].to_numpy().astype("datetime64[D]")
    end = span["end"].to_numpy().astype("datetime64[D]")
    length = np.maximum((end - start) // DAY, 1)[idx]
    rank = np.arange(len(idx)) - np.repeat(np.cumsum(count) - count, count)
    cut = start[idx] + (length * rank // count[idx]) * DAY
    nxt = start[idx] + (length * (rank + 1) // count[idx]) * DAY
    last = rank == count[idx] - 1
    sw_dec = np.where(last, end[idx], nxt)
    still = last & span["open"].to_numpy()[idx]
    reasons = np.array(SW_REASON, dtype=object)[rng.integers(0, len(SW_REASON), len(idx))]
    workers = make_ids("SW", rng.integers(1, 80, len(idx)), 6)
    return pd.DataFrame({
        "child_id": span.index.to_numpy()[idx],
        "SW_ID": workers,
        "SW_DECOM": as_dates(cut),
        "SW_DEC": as_dates(nat_where(sw_dec, still)),
        # Every worker episode gives the reason it began; the first is the first contact (SW13).
        "SW_REASON": np.where(rank == 0, "FCONTA", reasons),
    })
