"""Looked-after histories: episodes that chain without overlap, reviews, missing periods, outcomes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from statreturns.generate.draw import DAY, as_dates, load_postcodes, make_ids, nat_where, pick_codes

if TYPE_CHECKING:
    from statreturns.generate.model import Config

# Care orders and section 20 accommodation. Short-lived statuses (police protection, EPOs, remands) and
# short breaks have rules of their own (358, 361, 362, 365-367, ...) and are left to fault kinds; a
# placement order (E1) comes with an adoption placement only.
LEGAL_FIRST = {"C2": .40, "C1": .28, "V2": .32}
PLACE = {"U4": .36, "U6": .13, "U1": .11, "U3": .07, "U5": .02, "K2": .13, "K3": .06, "S1": .03, "R1": .02,
         "R5": .02, "Z11": .05}
NO_URN = ("P1", "P3", "R1", "R2", "R5", "Z1", "Z11", "Z12", "Z13", "Z14", "T0", "T1", "T2", "T3", "T4")
PROVIDER = {"U": ("PR1", "PR4"), "K": ("PR4", "PR1"), "P": ("PR0",), "R": ("PR3", "PR4"), "S": ("PR5", "PR4"),
            "A": ("PR1", "PR2"), "Z": ("PR4",)}
# How care ends for a child under 18 (adoption, E11, is drawn with its placement in _adoptions).
REC_FINAL = {"E4A": .38, "E4B": .04, "E8": .10, "E41": .09, "E45": .07, "E47": .05, "E13": .07, "E3": .04,
             "E9": .03, "E14": .13}
PLACE_CHANGE = {"CARPL": .45, "CREQB": .12, "CREQO": .10, "CHILD": .05, "LAREQ": .12, "CLOSE": .05,
                "STAND": .02, "ALLEG": .02, "OTHER": .07}
SW_REASON = ["MANAGE", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "OTHERS"]
ADULT = 6574  # days to an 18th birthday, near enough for generated histories


def birthday(dob: np.ndarray, years: int) -> np.ndarray:
    """The calendar birthday (29 February becomes 1 March in common years)."""
    d = dob.astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    offset = d - y.astype("datetime64[D]")  # days into the birth year
    target = (y + years).astype("datetime64[D]")
    leap_born = (y.astype(int) + 1970) % 4 == 0
    target_leap = (y.astype(int) + years + 1970) % 4 == 0
    # After 28 February, a birth in a leap year is one day later in the year than in a common year.
    shift = np.where(leap_born & ~target_leap & (offset >= 59), -1, np.where(~leap_born & target_leap & (offset >= 59), 1, 0))
    return target + offset + shift * DAY


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
    adult = birthday(dob, 18)
    end_limit = np.where(is_leaver, np.minimum(adult, ref), ref)
    # Care leavers: some leave care a few weeks before their 18th birthday (their care-leaver information
    # then starts that year, 1016), and all were looked after long enough to be relevant children (1001).
    early = is_leaver & (rng.random(n) < 0.5)
    end_limit = np.where(early, np.minimum(end_limit, adult - rng.integers(1, 60, n) * DAY), end_limit)
    # ...but not before the 1 April that starts the year of the 18th birthday, so the year after it (the
    # 19th birthday's) the DfE tool's two years of episodes still see their care (1001, 1002).
    april = ((adult.astype("datetime64[M]") - 3).astype("datetime64[Y]").astype("datetime64[M]") + 3).astype(
        "datetime64[D]")
    end_limit = np.where(is_leaver, np.maximum(end_limit, np.minimum(np.minimum(april, adult - DAY), ref)), end_limit)
    # Some 17-year-olds left care in the year, after their 16th birthday and before their 17th: care leavers
    # at 17 this year. (Not before the year: 1014 then drops a UASC child's UASC row, and 205A asks why.)
    young_leaver = is_leaver & (adult > ref) & (rng.random(n) < 0.3)
    left_at = np.maximum(birthday(dob, 17) - rng.integers(1, 150, n) * DAY, birthday(dob, 16) + 30 * DAY)
    left_at = np.maximum(left_at, np.datetime64(f"{cfg.year - 1}-04-01"))
    end_limit = np.where(young_leaver, left_at, end_limit)
    first = np.maximum(dob + 1 * DAY, end_limit - rng.integers(30, 3 * 365, n) * DAY)
    first = np.where(is_leaver, np.minimum(first, adult - rng.integers(200, 700, n) * DAY), first)
    first = np.where(young_leaver, np.minimum(first, end_limit - rng.integers(150, 700, n) * DAY), first)
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
    # A care leaver's last placement lasts at least 120 nights (so the episodes of the last two years
    # show 13 weeks of care after 14 however early in the year care ended: 1001).
    valid = decom < np.where(is_leaver[idx] & (rank > 0), limit - 120 * DAY, limit)
    dec = np.minimum(dec, limit)
    # Drop episodes that would start after the limit; the last kept one becomes the last.
    decom, dec, idx, rank = decom[valid], dec[valid], idx[valid], rank[valid]
    m = len(idx)
    is_last = np.r_[idx[1:] != idx[:-1], True]
    dec = np.where(is_last & is_leaver[idx], end_limit[idx], dec)  # a care leaver is looked after to the end
    reached_limit = dec >= end_limit[idx]
    open_ = is_last & reached_limit & (end_limit[idx] == ref)
    dec = nat_where(dec, open_)
    # Care that ends does not end in the last five days before a 31 March with no social worker after
    # (SW11bSTG2 would ask for the next one): such an ending is moved a week earlier
    md = pd.DatetimeIndex(dec.astype("datetime64[ns]"))
    # (or, for a short last episode, to 31 March).
    late_march = is_last & ~open_ & (md.month == 3) & (md.day >= 26) & (md.day <= 30)
    back = dec - 7 * DAY > decom
    dec = np.where(late_march & back, dec - 7 * DAY, np.where(late_march, dec + (31 - md.day.to_numpy()) * DAY, dec))

    change = np.where(rank == 0, "S", pick_codes(rng, {"P": .62, "T": .08, "L": .22, "B": .05, "U": .03}, m))
    new_ls = (change == "S") | np.isin(change, ["L", "B", "U"])
    new_place = (change == "S") | np.isin(change, ["P", "T", "B", "U"])
    ls_draw = pick_codes(rng, LEGAL_FIRST, m)
    codes = np.array(list(LEGAL_FIRST), dtype=object)
    # A legal change (RNE L, B, U) moves to another status than the one before (434, 436): walk the
    # episodes rank by rank, each rank vectorised.
    ls_arr = ls_draw.copy()
    index = {c: i for i, c in enumerate(codes)}
    for r in range(1, int(rank.max()) + 1 if m else 0):
        at = np.flatnonzero(rank == r)
        prev = ls_arr[at - 1]
        keep = ~new_ls[at]
        ls_arr[at[keep]] = prev[keep]
        same = new_ls[at] & (ls_arr[at] == prev)
        if same.any():
            ls_arr[at[same]] = codes[(pd.Series(prev[same]).map(index).to_numpy() + 1) % len(codes)]
    ls = pd.Series(ls_arr)
    # A placement (type, provider, postcode, URN) is drawn when it starts and stays the same for every
    # episode until the next placement change, so an RNE L episode keeps its placement (rule 434).
    starts = np.flatnonzero(new_place)
    same_placement = starts[np.cumsum(new_place) - 1]
    place_arr = pick_codes(rng, _places(cfg.year), m)
    under_16 = decom < birthday(dob[idx], 16)
    place_arr[(place_arr == "K3") & under_16] = "K2"  # supported accommodation is for 16 and over (371)
    age_in = decom - dob[idx]
    place_arr[(place_arr == "R5") & (age_in < 11 * 365 * DAY)] = "K2"  # youth custody from 10 (372)
    place_arr[(place_arr == "S1") & (age_in < 5 * 365 * DAY)] = "U4"  # a residential school from 4 (373)
    place_arr = place_arr[same_placement]
    provider = _providers(rng, place_arr)[same_placement]
    # Care leavers' care ends on the 18th birthday: staying put (E17) or moving to independent living.
    at_18 = is_leaver[idx] & (dec == adult[idx])
    leaving = np.where(at_18, pick_codes(rng, {"E17": .3, "E5": .3, "E6": .2, "E8": .2}, m),
                       pick_codes(rng, {"E5": .4, "E6": .3, "E8": .3}, m))
    rec = np.where(is_last, np.where(is_leaver[idx], leaving, pick_codes(rng, REC_FINAL, m)), "X1").astype(object)
    # "Stayed with the foster carers" (E45) only ends a foster placement (516).
    rec[(rec == "E45") & ~np.isin(place_arr, ["U1", "U2", "U3", "U4", "U5", "U6"])] = "E41"
    rec[open_] = None
    next_change = np.concatenate([change[1:], np.array(["S"], dtype=object)])
    reason_change = np.where(~is_last & np.isin(next_change, ["P", "T", "B", "U"]), pick_codes(rng, PLACE_CHANGE, m),
                             None)
    home = kids["home_postcode"].to_numpy()[idx]
    pcs = load_postcodes()
    # Placements in England only: a placement outside England takes no URN (243).
    pool = pcs.loc[(pcs["use"] == "placement") & pcs["laua"].str.startswith("E"), "postcode"].to_numpy()
    # The LA's own provision (PR1) is inside the LA, other LAs' (PR2) and everyone else's may be anywhere
    # in England (1015); placement types Ofsted does not register take no URN (222).
    own = pcs.loc[(pcs["use"] == "home") & (pcs["laua"] == cfg.la_gss), "postcode"].to_numpy()
    own = own if len(own) else pool
    in_la = (provider == "PR1") | (place_arr == "K3")  # supported accommodation near home (241)
    pl_post = np.where(in_la, own[rng.integers(0, len(own), m)][same_placement],
                       pool[rng.integers(0, len(pool), m)][same_placement])
    # Only a placement with parents is at the home address (392d).
    pl_post = np.where(pl_post == home, np.where(home == own[0], own[-1], own[0]), pl_post)
    pl_post = np.where(place_arr == "P1", home, pl_post)
    # One provider per placement, each with its own URN (the Ofsted list written beside the extracts
    # holds one row per URN: its type, sector and postcode match the placement).
    urn = np.where(np.isin(place_arr, NO_URN), None, unique_urns(rng, m, 100000)[same_placement])
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
    tables.update(_adoptions(rng, episodes, kids, dob, ref, own))
    tables["la_reviews"] = _reviews(rng, tables["la_episodes"], kids, ref)
    tables["missing"] = _missing(rng, tables["la_episodes"], ref)
    tables["uasc"] = _uasc(rng, kids, dob, first, ref)
    # An unaccompanied child has no home postcode, so no distance from home either (406).
    eps = tables["la_episodes"]
    eps.loc[eps["child_id"].isin(tables["uasc"]["child_id"]), "HOME_POST"] = None
    tables["oc2"] = _oc2(rng, tables["la_episodes"], kids, dob, ref)
    # OC3 records for the young people the year's return asks of (a 17th to 21st birthday in it), up to
    # 19: a 20- or 21-year-old's care ended before last year's return, and the DfE tool reads only two
    # years of episodes, so rule 1002 (no episodes) would report each of them (the DfE's note on the rule
    # says so); the build returns them when an extract holds them (tests/ssda903/test_build_care_leavers.py).
    # A young mother whose care ended before the year gets none either: the DfE rules cannot all hold for
    # her (628 wants MOTHER blank, 612 then MC_DOB blank, 624 last year's MC_DOB kept).
    mother = (kids["MOTHER"].astype("string") == "1").fillna(False).to_numpy(dtype=bool)
    gone_mother = mother & (end_limit < np.datetime64(f"{cfg.year - 1}-04-01"))
    tables["oc3"] = _oc3(rng, kids, ((is_leaver & (adult <= ref) & (birthday(dob, 20) > ref)) | young_leaver)
                         & ~gone_mother)
    tables["previous_permanence"] = _previous_permanence(rng, tables["la_episodes"], ref)
    tables["sw_episodes"] = _social_workers(rng, tables["la_episodes"], ref)
    tables["dolo"] = pd.DataFrame({"child_id": pd.Series(dtype="object"), "DOLO_START": as_dates(np.array([], "M8[D]")),
                                   "DOLO_END": as_dates(np.array([], "M8[D]"))})
    return tables


def unique_urns(rng: np.random.Generator, n: int, first: int) -> np.ndarray:
    """``n`` distinct Ofsted-style URNs from ``first`` on (each drawn inside its own block of eight)."""
    return make_ids("SC", first + np.arange(n) * 8 + rng.integers(0, 8, n), 6)


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
               ref: np.datetime64, own: np.ndarray) -> dict[str, pd.DataFrame]:
    """About a third of young children whose care ended are adopted: the last episode becomes A5 / E11."""
    eps = episodes.copy()
    last = eps.groupby("child_id").tail(1)
    age_at_end = (last["DEC"] - last["child_id"].map(dict(zip(kids["child_id"], dob, strict=True)))).dt.days
    pick = last["DEC"].notna() & (age_at_end < 5 * 365) & (last["DECOM"] > last["DEC"] - pd.Timedelta(days=400))
    pick &= pd.Series(rng.random(len(last)) < 0.35, index=last.index)
    rows = last.index[pick.to_numpy()]
    # Placed for adoption under a placement order, not with the foster carers (A6: no RNE rule 217,
    # FOSTER_CARE 0 for 335): a new legal status and a new placement, so RNE B unless care starts there.
    eps.loc[rows, ["LS", "PLACE", "PLACE_PROVIDER", "REC"]] = ["E1", "A6", "PR1", "E11"]
    eps.loc[rows, "URN"] = unique_urns(rng, len(rows), 100000 + 8 * len(eps))
    # The LA's own adoption service places inside the LA (229), never at the birth family's address.
    post = own[rng.integers(0, len(own), len(rows))]
    home = eps.loc[rows, "HOME_POST"].to_numpy()
    eps.loc[rows, "PL_POST"] = np.where(post == home, np.where(home == own[0], own[-1], own[0]), post)
    later = rows[(eps.groupby("child_id").cumcount().loc[rows] > 0).to_numpy()]
    eps.loc[later, "RNE"] = "B"
    before = eps.index.get_indexer(later) - 1
    prev_rows = eps.index[before]
    no_reason = eps.loc[prev_rows, "REASON_PLACE_CHANGE"].isna().to_numpy()
    eps.loc[prev_rows[no_reason], "REASON_PLACE_CHANGE"] = "CARPL"
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
        "FOSTER_CARE": np.full(k, "0", dtype=object),
        "NB_ADOPTR": np.where(rng.random(k) < 0.8, "2", "1").astype(object),
        "SEX_ADOPTR": None,
        "LS_ADOPTR": None,
        "adoption_order_date": chosen["DEC"].to_numpy(),
    })
    couple = ad1["NB_ADOPTR"] == "2"
    ad1["SEX_ADOPTR"] = np.where(couple, pick_codes(rng, {"MF": .85, "MM": .07, "FF": .08}, k),
                                 pick_codes(rng, {"F1": .85, "M1": .15}, k))
    # Married or civil partners as the adopters' sexes say (518-520): L11 a man and a woman, L12 and L4
    # the same sex.
    same_sex = np.isin(ad1["SEX_ADOPTR"].to_numpy(), ["MM", "FF"])
    ad1["LS_ADOPTR"] = np.where(couple, np.where(same_sex, pick_codes(rng, {"L12": .6, "L4": .2, "L2": .2}, k),
                                                 pick_codes(rng, {"L11": .8, "L2": .05, "L3": .15}, k)), "L0")
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
    young = dates[row, k] < birthday(dob, 4)  # 441
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
    care_end = span["end"].to_numpy()[idx].astype("datetime64[D]")
    mis_start = np.maximum(start, np.minimum(mis_start, care_end - DAY))
    mis_end = mis_start + rng.integers(0, 4, len(idx)) * DAY
    # A missing period ends before care ends (577; one ending the day care ends asks for REC E8, 580).
    mis_end = np.maximum(mis_start, np.minimum(mis_end, care_end - DAY))
    frame = pd.DataFrame({
        "child_id": span.index.to_numpy()[idx],
        "MISSING": np.where(rng.random(len(idx)) < 0.6, "M", "A").astype(object),
        "MIS_START": as_dates(mis_start),
        "MIS_END": as_dates(nat_where(mis_end, mis_end > ref)),
    })
    frame = frame.sort_values(["child_id", "MIS_START"]).reset_index(drop=True)
    # Periods do not overlap (574): a period starting before the previous one ended is not drawn.
    end = frame["MIS_END"].fillna(pd.Timestamp.max.normalize())
    before = end.groupby(frame["child_id"]).cummax().groupby(frame["child_id"]).shift()
    return frame.loc[before.isna() | (frame["MIS_START"] >= before)].reset_index(drop=True)


def _uasc(rng: np.random.Generator, kids: pd.DataFrame, dob: np.ndarray, first: np.ndarray,
          ref: np.datetime64) -> pd.DataFrame:
    age_in = (first - dob) // DAY
    pick = (age_in >= 14 * 365) & (age_in < 17 * 365) & (rng.random(len(kids)) < 0.25)
    return pd.DataFrame({"child_id": kids["child_id"].to_numpy()[pick], "DUC": as_dates(birthday(dob[pick], 18))})


def _oc2(rng: np.random.Generator, episodes: pd.DataFrame, kids: pd.DataFrame, dob: np.ndarray,
         ref: np.datetime64) -> pd.DataFrame:
    """Health and offending items for every looked-after child, as at the reference date; each year's
    return keeps the children looked after for the whole year to its 31 March (build_903_frames).
    Items asked from an age are given from a year later, so last year's return is right too."""
    span = _care_spans(episodes, ref)
    cla = span.index
    n = len(cla)
    birth = pd.Series(dob, index=kids["child_id"]).reindex(cla).to_numpy().astype("datetime64[D]")
    # Every item is drawn; each year's return blanks those not asked at the child's age then.
    scored = rng.random(n) < 0.85
    misuse = (birthday(birth, 12) <= ref) & (rng.random(n) < 0.05)
    flag = lambda p: np.where(rng.random(n) < p, "1", "0").astype(object)  # noqa: E731
    received = np.where(misuse, flag(0.7), None)
    return pd.DataFrame({
        "child_id": cla.to_numpy(),
        "SDQ_SCORE": np.where(scored, rng.integers(0, 41, n).astype(str), None),
        "SDQ_REASON": np.where(scored, None, pick_codes(rng, {"SDQ2": .3, "SDQ3": .3, "SDQ4": .2, "SDQ5": .2}, n)),
        "CONVICTED": flag(0.04),
        "HEALTH_CHECK": flag(0.9),
        "IMMUNISATIONS": flag(0.9),
        "TEETH_CHECK": flag(0.85),
        "HEALTH_ASSESSMENT": flag(0.92),
        "SUBSTANCE_MISUSE": np.where(misuse, "1", "0").astype(object),
        "INTERVENTION_RECEIVED": received,
        # Offered is asked only when none was received (158).
        "INTERVENTION_OFFERED": np.where(misuse & (received != "1"), flag(0.9), None),
    })


def _oc3(rng: np.random.Generator, kids: pd.DataFrame, is_leaver: np.ndarray) -> pd.DataFrame:
    n = int(is_leaver.sum())
    touch = pick_codes(rng, {"YES": .86, "NO": .06, "REFU": .04, "NREQ": .03, "DIED": .002, "RHOM": .008}, n)
    none = np.isin(touch, ["DIED", "RHOM"])
    activ = np.where(none, "0", pick_codes(rng, {"F1": .25, "P1": .05, "F2": .15, "P2": .05, "F4": .1, "G4": .1,
                                            "G5": .2, "G6": .1}, n))
    accom = np.where(none, "0", pick_codes(rng, {"B1": .1, "C1": .15, "D1": .15, "E1": .1, "H1": .1, "S2": .1,
                                            "U1": .15, "Z1": .1, "K2": .05}, n))
    accom = np.where(touch == "YES", accom, np.where(none, "0", accom))
    return pd.DataFrame({"child_id": kids["child_id"].to_numpy()[is_leaver], "IN_TOUCH": touch,
                         "ACTIV": activ.astype(object), "ACCOM": accom.astype(object)})


def _previous_permanence(rng: np.random.Generator, episodes: pd.DataFrame, ref: np.datetime64) -> pd.DataFrame:
    starts = episodes.loc[episodes["RNE"] == "S"]
    # Asked whenever care starts, so last year's return has it for last year's starters too (630).
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
