"""SSDA903 fault kinds for the rules of ``schemas/rules/ssda903/adoption.py``, registered into ``faults.KINDS`` on
import (``faults`` imports this module last). Each kind names the 903 rules it must trigger; rules no extract
can reach are entered in ``faults.UNREACHABLE`` with the reason.

The clean generator records a decision to place for adoption (PlacedAdoption) only for the children it
adopts, a handful a year in a small council. Most decision slips are therefore carried by a decision the
kind records for a child looked after all year with no adoption history (a decision made, or made and later
reversed, without a placement yet): the decision row is what the caseworker keyed, with the slip in it.
Kinds on the adopted children themselves are few, as each seed has only about three of them to fault.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from statreturns.generate.faults import (
    UNREACHABLE,
    FaultKind,
    Scope,
    Tables,
    _children_with,
    _edit_kind,
    _set,
    register,
)
from statreturns.generate.faults_903 import _care_leaver_rows, _year_episodes
from statreturns.ssda903.build import continuously_looked_after

Able = Callable[[Tables, Scope], np.ndarray]
DAY = pd.Timedelta(days=1)


# ------------------------------------------------------------------------------------------- cohorts


def _ids(t: Tables, mask: np.ndarray) -> set:
    return set(t["children"]["child_id"].to_numpy()[mask])


def _of(t: Tables, ids: set) -> np.ndarray:
    return t["children"]["child_id"].isin(ids).to_numpy()


def _adoption_history(t: Tables) -> set:
    """Children with any adoption record: the kinds that add an adoption or decision row leave them alone, as
    the rules would compare the new row with theirs."""
    return set(t["ad1"]["child_id"]) | set(t["placed_for_adoption"]["child_id"])


def _cla12(t: Tables, s: Scope) -> set:
    return continuously_looked_after(_year_episodes(t, s), s.start, s.end)


def _oc3_cohort(t: Tables, s: Scope) -> set:
    return set(t["oc3"].loc[_care_leaver_rows(t, s), "child_id"])


def _settled(t: Tables, s: Scope) -> np.ndarray:
    """Looked after all year (so any date in the year is inside care) and no adoption record yet."""
    return _of(t, _cla12(t, s) - _adoption_history(t))


def _long_stayers(t: Tables, s: Scope) -> np.ndarray:
    """Settled children whose care started (every RNE S) more than 400 days before the year: a decision of
    last year is in last year's return too, and no start of care follows it."""
    eps = t["la_episodes"]
    return _settled(t, s) & ~_children_with(t, "la_episodes", (eps["RNE"] == "S") & (eps["DECOM"] >= s.start - 400 * DAY))


def _started_before(t: Tables, s: Scope) -> np.ndarray:
    """Settled children whose start of care (RNE S) is before the year in an episode still open on 1 April:
    the start is in the year's return (the one 1003 compares with) and the child is in last year's return
    too. Born at least two days before their first start, so a date between the two exists."""
    eps = t["la_episodes"]
    open_start = (eps["RNE"] == "S") & (eps["DECOM"] < s.start) & ~(eps["DEC"] < s.start)
    first = eps.loc[eps["RNE"] == "S"].groupby("child_id")["DECOM"].min()
    born = t["children"]["PersonBirthDate"] <= t["children"]["child_id"].map(first) - 2 * DAY
    return _settled(t, s) & _children_with(t, "la_episodes", open_start) & born.to_numpy()


def _new_to_care(t: Tables, s: Scope) -> np.ndarray:
    """Children in no earlier return (every episode starts in the year), born more than 400 days before it
    (so a date keyed a year early is still after the birth), with no adoption record."""
    eps = t["la_episodes"]
    before = _children_with(t, "la_episodes", eps["DECOM"] < s.start)
    started = _children_with(t, "la_episodes", (eps["RNE"] == "S") & (eps["DECOM"] <= s.end))
    born = (t["children"]["PersonBirthDate"] < s.start - 400 * DAY).to_numpy()
    return s.in_903 & ~before & started & born & ~_of(t, _adoption_history(t))


def _left_care(t: Tables, s: Scope) -> np.ndarray:
    """Children whose care ended in the year, at least three weeks before its end (last episode closed with
    a reason other than X1), with no adoption record."""
    eps = t["la_episodes"]
    last = ~eps["child_id"].duplicated(keep="last")
    ended = last & (eps["DEC"] >= s.start) & (eps["DEC"] <= s.end - 21 * DAY) & eps["REC"].notna() & (eps["REC"] != "X1")
    return _children_with(t, "la_episodes", ended) & ~_of(t, _adoption_history(t))


def _adopted(t: Tables, s: Scope, extra: Callable[[pd.DataFrame], pd.Series] | None = None) -> np.ndarray:
    """Children adopted in the year (their AD1 is in the return), with ``extra`` on their AD1 row."""
    ad1 = t["ad1"]
    mask = ad1["adoption_order_date"].between(s.start, s.end) & ad1["child_id"].isin(_ids(t, s.in_903))
    return _children_with(t, "ad1", mask & extra(ad1) if extra is not None else mask)


# ------------------------------------------------------------------------------------------- editors


def _per_child(t: Tables, column: str, how: str, mask: pd.Series | None = None) -> pd.Series:
    eps = t["la_episodes"]
    f = eps if mask is None else eps.loc[mask]
    return f.groupby("child_id")[column].agg(how)


def _add_decisions(rows: Callable[[Tables, list, np.random.Generator, Scope], list[pd.DataFrame]]):
    """An injector adding the PlacedAdoption rows ``rows`` gives for the chosen children (sorted ids)."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        pa = t["placed_for_adoption"]
        new = [frame.reindex(columns=pa.columns) for frame in rows(t, sorted(ids), rng, s)]
        out = pd.concat([pa, *new], ignore_index=True)
        t["placed_for_adoption"] = out.astype(pa.dtypes.to_dict())
    return apply


def _decision(ids: list, placed: pd.Series | np.ndarray, ceased=None, reason: object = None) -> pd.DataFrame:
    n = len(ids)
    as_dates = lambda d: pd.Series(pd.to_datetime(np.asarray(d)), dtype="datetime64[ns]")  # noqa: E731
    return pd.DataFrame({
        "child_id": ids, "DATE_PLACED": as_dates(placed),
        "DATE_PLACED_CEASED": as_dates(ceased if ceased is not None else np.full(n, np.datetime64("NaT", "ns"))),
        "REASON_PLACED_CEASED": pd.Series([reason] * n, dtype="object")})


def _days(rng: np.random.Generator, low: int, high: int, n: int) -> pd.TimedeltaIndex:
    return pd.to_timedelta(rng.integers(low, high + 1, n), unit="D")


def _reversed_in_year(reason: object, ceased_offset: Callable[[np.random.Generator, int], pd.TimedeltaIndex]):
    """A decision made in the year (10 to 150 days in) and reversed ``ceased_offset`` days after it."""
    def rows(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
        placed = s.start + _days(rng, 10, 150, len(ids))
        return [_decision(ids, placed, placed + ceased_offset(rng, len(ids)), reason)]
    return rows


def _reversal_reason_without_date(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    # Decided last year and reversed: the reason keyed, the date of the reversal left blank.
    return [_decision(ids, s.start - _days(rng, 200, 330, len(ids)), None, "RD1")]


def _new_to_care_later(t: Tables, s: Scope) -> np.ndarray:
    """Children new to care in the year whose care began at least three days after it did."""
    first = _per_child(t, "DECOM", "min")
    late = set(first.index[(first >= s.start + 3 * DAY).to_numpy()])
    return _new_to_care(t, s) & _of(t, late)


def _reversed_before_care(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    # A decision made and reversed in the year before care began (the dates of an earlier plan keyed here).
    gap = (_per_child(t, "DECOM", "min").reindex(ids).to_numpy() - s.start.to_datetime64()) // np.timedelta64(1, "D")
    placed = s.start + pd.to_timedelta(rng.integers(0, gap - 1), unit="D")
    return [_decision(ids, placed, placed + DAY, "RD1")]


def _decision_after_care_ended(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    left = _per_child(t, "DEC", "max").reindex(ids).to_numpy()
    return [_decision(ids, left + _days(rng, 1, 20, len(ids)))]


def _new_decision_before_reversal(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    # The first decision's reversal keyed some weeks after the date of the new decision that replaced it.
    n = len(ids)
    first = s.start + _days(rng, 10, 60, n)
    return [_decision(ids, first, first + _days(rng, 90, 150, n), "RD2"), _decision(ids, first + _days(rng, 30, 60, n))]


def _decision_entered_twice(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    # The same decision keyed twice, the second time with another date: neither row is closed.
    n = len(ids)
    first = s.start + _days(rng, 10, 150, n)
    return [_decision(ids, first), _decision(ids, first + _days(rng, 1, 60, n))]


def _first_start(t: Tables, ids: list) -> np.ndarray:
    eps = t["la_episodes"]
    return _per_child(t, "DECOM", "min", eps["RNE"] == "S").reindex(ids).to_numpy()


def _decision_before_birth(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    # The decision's year keyed wrong, giving a date before the child was born.
    dob = t["children"].set_index("child_id")["PersonBirthDate"].reindex(ids).to_numpy()
    return [_decision(ids, dob - _days(rng, 1, 300, len(ids)))]


def _decision_before_care(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    # The date of the strategy meeting before care began keyed as the decision's date (after the birth).
    start = _first_start(t, ids)
    dob = t["children"].set_index("child_id")["PersonBirthDate"].reindex(ids).to_numpy()
    gap = np.maximum((start - dob) // np.timedelta64(1, "D") - 1, 1)
    return [_decision(ids, start - pd.to_timedelta(np.minimum(rng.integers(1, 60, len(ids)), gap), unit="D"))]


def _decision_a_year_early(t: Tables, ids: list, rng: np.random.Generator, s: Scope) -> list[pd.DataFrame]:
    # Decided in the year, shortly after care began, but keyed with last year's year.
    placed = _first_start(t, ids) - pd.Timedelta(days=365) + _days(rng, 5, 40, len(ids))
    return [_decision(ids, np.minimum(placed.to_numpy(), (s.start - DAY).to_datetime64()))]


def _only_episode(closed: bool) -> Callable[[Tables, Scope], pd.Series]:
    """A child's only episode (RNE S, in the year's return, no short break), open at 31 March or (``closed``)
    ended in the year by a reason other than adoption; the child has no adoption record."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        eps = t["la_episodes"]
        only = ~eps["child_id"].duplicated(keep=False) & (eps["RNE"] == "S") & (eps["DECOM"] <= s.end)
        only &= ~eps["LS"].isin(["V3", "V4"]) & ~eps["child_id"].isin(_adoption_history(t))
        if closed:
            return only & eps["DEC"].between(s.start, s.end) & eps["REC"].notna() & ~eps["REC"].isin(["E11", "E12", "X1"])
        return only & eps["DEC"].isna()
    return rows


def _wrong_child(cohort: Callable[[Tables, Scope], set]) -> Able:
    """Children in the year's 903 with no adoption record, in ``cohort``."""
    def able(t: Tables, s: Scope) -> np.ndarray:
        return s.in_903 & _of(t, cohort(t, s) - _adoption_history(t))
    return able


def _adoption_on_wrong_child(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """A single adopter's adoption keyed on this child's record (a sibling's, or another child's on the same
    caseload): consistent in itself, dated inside the year and after the child's latest episode began."""
    chosen = sorted(ids)
    latest = _per_child(t, "DECOM", "max").reindex(chosen).to_numpy()
    day = pd.Series(np.maximum(latest, s.start.to_datetime64()), dtype="datetime64[ns]")
    ad1 = t["ad1"]
    new = pd.DataFrame({"child_id": chosen, "DATE_INT": day, "DATE_MATCH": day, "FOSTER_CARE": "0",
                        "NB_ADOPTR": "1", "SEX_ADOPTR": "F1", "LS_ADOPTR": "L0", "adoption_order_date": day})
    t["ad1"] = pd.concat([ad1, new.reindex(columns=ad1.columns)], ignore_index=True).astype(ad1.dtypes.to_dict())


def _permanence_rows(t: Tables, s: Scope) -> pd.Series:
    """Previous-permanence rows with an order's details, of children starting care in the year."""
    pp = t["previous_permanence"]
    eps = t["la_episodes"]
    starters = set(eps.loc[(eps["RNE"] == "S") & (eps["DECOM"] >= s.start) & (eps["DECOM"] <= s.end), "child_id"])
    return pp["child_id"].isin(starters) & pp["DATE_PERM"].notna() & pp["LA_PERM"].notna()


def _order_dated_at_care_start(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    # The date care began keyed as the date of the earlier permanence order.
    pp = t["previous_permanence"]
    rows = pp["child_id"].isin(ids) & _permanence_rows(t, s)
    first = _year_episodes(t, s).groupby("child_id")["DECOM"].min()
    pp.loc[rows, "DATE_PERM"] = pp.loc[rows, "child_id"].map(first).dt.strftime("%d/%m/%Y")


def _adopted_keyed_for_child_gone_home() -> Callable[[Tables, Scope], pd.Series]:
    """A child's last episode, ended in the year before their 16th birthday (a week clear), by a reason
    other than adoption, not in an adoption placement; no adoption record."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        eps = t["la_episodes"]
        dob = eps["child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])
        last = ~eps["child_id"].duplicated(keep="last") & eps["DEC"].between(s.start, s.end)
        young = eps["DEC"] < dob + pd.DateOffset(years=16) - 7 * DAY
        return (last & young & eps["REC"].notna() & ~eps["REC"].isin(["E11", "E12", "X1"])
                & ~eps["PLACE"].isin(["A3", "A4", "A5", "A6"]) & ~eps["child_id"].isin(_adoption_history(t)))
    return rows


def _adoption_episode_rows(t: Tables, s: Scope) -> pd.Series:
    """The adoption-ending episodes of children adopted in the year, lasting at least two days."""
    eps = t["la_episodes"]
    adopted = eps["child_id"].isin(_ids(t, _adopted(t, s)))
    return adopted & eps["REC"].isin(["E11", "E12"]) & (eps["DEC"] - eps["DECOM"] >= 2 * DAY)


def _ad1_dates_from_episode(columns: dict[str, tuple[str, int]]):
    """An injector setting AD1 (and PlacedAdoption) date columns to the adoption episode's ``(column, days
    after)``: {'DATE_MATCH': ('DEC', 0)} keys the adoption day as the matching date."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        eps = t["la_episodes"]
        ep = eps.loc[_adoption_episode_rows(t, s) & eps["child_id"].isin(ids)].drop_duplicates("child_id").set_index(
            "child_id")
        for target, (column, days) in columns.items():
            table = "placed_for_adoption" if target == "DATE_PLACED" else "ad1"
            frame = t[table]
            rows = frame["child_id"].isin(set(ep.index))
            frame.loc[rows, target] = frame.loc[rows, "child_id"].map(ep[column]) + days * DAY
    return apply


def _adoption_with_episode(t: Tables, s: Scope) -> np.ndarray:
    return _adopted(t, s) & _children_with(t, "la_episodes", _adoption_episode_rows(t, s))


# ------------------------------------------------------------------------------------------- kinds

KINDS_ADOPTION: tuple[FaultKind, ...] = (
    # Decisions keyed for a child looked after all year, with one slip each.
    FaultKind("reversed_decision_without_reason", "placed_for_adoption", (), ("119",), _settled,
              _add_decisions(_reversed_in_year(None, lambda rng, n: _days(rng, 20, 150, n)))),
    FaultKind("unknown_reason_decision_reversed", "placed_for_adoption", (), ("120",), _settled,
              _add_decisions(_reversed_in_year("RD9", lambda rng, n: _days(rng, 20, 150, n)))),
    FaultKind("decision_reversed_before_it_was_made", "placed_for_adoption", (), ("522",), _settled,
              _add_decisions(_reversed_in_year("RD1", lambda rng, n: -_days(rng, 1, 9, n)))),
    # A reversal's reason without its date (119): the decision is in this year's return again (the build
    # leaves out only decisions reversed before the year, by date), repeating one last year's return shows
    # reversed (561, which takes the reason as a reversal) and not newer than it (584).
    FaultKind("decision_reversal_reason_without_date", "placed_for_adoption", (), ("119", "561", "584"),
              _long_stayers, _add_decisions(_reversal_reason_without_date)),
    # Reversed before care began (118), and so decided before it too (1003).
    FaultKind("decision_reversed_before_care_started", "placed_for_adoption", (), ("118", "1003"),
              _new_to_care_later, _add_decisions(_reversed_before_care)),
    FaultKind("decision_after_care_ended", "placed_for_adoption", (), ("117",), _left_care,
              _add_decisions(_decision_after_care_ended)),
    FaultKind("new_decision_before_earlier_reversed", "placed_for_adoption", (), ("579",), _settled,
              _add_decisions(_new_decision_before_reversal)),
    # An earlier decision still open when the next starts: overlapping (579) and not revoked (583) at once.
    FaultKind("decision_entered_twice", "placed_for_adoption", (), ("579", "583"), _settled,
              _add_decisions(_decision_entered_twice)),
    # Before the birth is before care began too (1003).
    FaultKind("decision_before_birth", "placed_for_adoption", (), ("184", "1003"), _started_before,
              _add_decisions(_decision_before_birth)),
    FaultKind("decision_before_care_started", "placed_for_adoption", (), ("1003",), _started_before,
              _add_decisions(_decision_before_care)),
    # A child new to care has no earlier return, so a decision dated before the year was never reported
    # (559), and it precedes the start of care (1003).
    FaultKind("decision_keyed_a_year_early", "placed_for_adoption", (), ("559", "1003"), _new_to_care,
              _add_decisions(_decision_a_year_early)),
    # A placement order (E1) keyed as the legal status of a child with no decision to place for adoption.
    _edit_kind("placement_order_without_decision", "la_episodes", (), ("553",), _only_episode(False),
               _set("LS", "E1")),
    # The same, for a child who then went home: also no reversal of the (missing) decision (557).
    _edit_kind("placement_order_for_child_who_left_care", "la_episodes", (), ("553", "557"), _only_episode(True),
               _set("LS", "E1")),
    # Adopted keyed as the reason care ended, for a child who went home: no AD1 (601), no adoption
    # placement (390, an episodes rule, always with it).
    _edit_kind("adopted_keyed_for_child_gone_home", "la_episodes", (), ("601", "390"),
               _adopted_keyed_for_child_gone_home(), _set("REC", "E12")),
    # An adoption keyed on the wrong child: not adopted in the year (602); on a child looked after all year
    # also 187, on a care leaver also 134.
    FaultKind("adoption_on_wrong_child", "ad1", (), ("602",),
              _wrong_child(lambda t, s: _ids(t, s.in_903) - _cla12(t, s) - _oc3_cohort(t, s)), _adoption_on_wrong_child),
    FaultKind("adoption_on_child_looked_after_all_year", "ad1", (), ("602", "187"),
              _wrong_child(lambda t, s: _cla12(t, s) - _oc3_cohort(t, s)), _adoption_on_wrong_child),
    FaultKind("adoption_on_care_leaver", "ad1", (), ("602", "134"),
              _wrong_child(lambda t, s: _oc3_cohort(t, s) - _cla12(t, s)), _adoption_on_wrong_child),
    FaultKind("permanence_order_dated_at_care_start", "previous_permanence", (), ("632",),
              lambda t, s: _children_with(t, "previous_permanence", _permanence_rows(t, s)), _order_dated_at_care_start),
    # Adopted children (about three a seed to fault): the decision dated a day after the placement began, in
    # both AD1 and PlacedAdoption (the one decision): after the matching (333) and after the adoption
    # placement (521, 552) and the placement order (554) began, both on that episode here.
    FaultKind("decision_dated_after_adoption_placement", "ad1", (), ("333", "521", "552", "554"),
              _adoption_with_episode, _ad1_dates_from_episode({"DATE_INT": ("DECOM", 1), "DATE_PLACED": ("DECOM", 1)})),
    # The adoption day keyed as the matching date: the same day (582) and after the placement began (331).
    FaultKind("matched_on_adoption_day", "ad1", (), ("331", "582"), _adoption_with_episode,
              _ad1_dates_from_episode({"DATE_MATCH": ("DEC", 0)})),
    _edit_kind("adoption_placement_keyed_for_foster", "la_episodes", (), ("551",),
               lambda t, s: _only_episode(False)(t, s) & t["la_episodes"]["PLACE"].isin(["U4", "U5", "U6"]),
               _set("PLACE", "A4")),
    # A married man-and-woman couple keyed as a married same-sex couple (L12 picked for L11).
    _edit_kind("mixed_sex_couple_keyed_as_same_sex_marriage", "ad1", (), ("524",),
               lambda t, s: t["ad1"]["child_id"].isin(_ids(t, _adopted(t, s))) & (t["ad1"]["SEX_ADOPTR"] == "MF"),
               _set("LS_ADOPTR", "L12")),
)
for _k in KINDS_ADOPTION:
    register(_k)

_QUARANTINED = ("the SSD reader quarantines a row whose {} does not parse, and the build writes every date it "
                "returns from a parsed date (dd/mm/yyyy), so the return never holds an invalid one")
UNREACHABLE.update({
    ("ssda903", "112"): _QUARANTINED.format("decision date (perm_adm_decision_date)"),
    ("ssda903", "113"): _QUARANTINED.format("matching date (perm_matched_date)"),
    ("ssda903", "115"): _QUARANTINED.format("placed-for-adoption date"),
    ("ssda903", "116"): _QUARANTINED.format("decision-reversed date"),
    ("ssda903", "560"): "both years' returns are built from the one extract: a decision open at last year's end is "
                        "the same row, with the same DATE_PLACED, in this year's return whenever the child is in it",
    ("ssda903", "563"): "the build returns only decisions dated by 31 March (DATE_PLACED <= end) and the SSD reader "
                        "takes a decision only from a row with its placed-for-adoption date, so no returned "
                        "decision lacks DATE_PLACED",
    ("ssda903", "634"): "the build returns previous permanence only for children who started care (RNE S) in the "
                        "year, so a child's latest DECOM is never before the year",
})


# ------------------------------------------------------------------------------------------- adopted children's AD1
# The AD1 row of a child adopted in the year keyed with one slip. The clean generator gives most adopters
# "MF"/"L11" (a married man-and-woman couple), some "L3" couples and a few single (F1/M1, L0) or same-sex
# adopters, so the code slips are chosen per the codes the row holds.


def _adopted_with(column: str, values: set[str]) -> Callable[[Tables, Scope], pd.Series]:
    """AD1 rows of children adopted in the year whose ``column`` is one of ``values``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        ad1 = t["ad1"]
        return ad1["child_id"].isin(_ids(t, _adopted(t, s))) & ad1[column].isin(values)
    return rows


def _married_couple(t: Tables, s: Scope) -> pd.Series:
    return _adopted_with("LS_ADOPTR", {"L11"})(t, s) & (t["ad1"]["SEX_ADOPTR"] == "MF") & (t["ad1"]["NB_ADOPTR"] == "2")


def _latest_start(t: Tables) -> pd.Series:
    eps = t["la_episodes"]
    return _per_child(t, "DECOM", "max", eps["RNE"] == "S")


def _adopted_started_after_birth(t: Tables, s: Scope) -> np.ndarray:
    """Adopted children whose latest start of care is at least two days after their birth, so a decision
    date keyed between the two exists (no decision before the birth)."""
    dob = t["children"].set_index("child_id")["PersonBirthDate"]
    latest = _latest_start(t)
    year = _year_episodes(t, s)
    in_return = year.loc[year["RNE"] == "S"].groupby("child_id")["DECOM"].max().reindex(latest.index)
    # The latest start must be in the year's return (334 reads the return's episodes only).
    fits = ((latest - dob.reindex(latest.index)) >= 2 * DAY) & (in_return == latest)
    return _adopted(t, s) & _of(t, set(fits.index[fits.to_numpy()]))


def _adopted_in_episodes(t: Tables, s: Scope) -> np.ndarray:
    """Adopted children whose episodes show the adoption (REC E11/E12) ending inside the year."""
    eps = t["la_episodes"]
    return _adopted(t, s) & _children_with(t, "la_episodes", eps["REC"].isin(["E11", "E12"]) & eps["DEC"].between(s.start, s.end))


def _date_int_before_care(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    # The date of a strategy meeting before this period of care keyed as the AD1 decision date.
    ad1 = t["ad1"]
    rows = ad1["child_id"].isin(ids)
    start = ad1.loc[rows, "child_id"].map(_latest_start(t))
    dob = ad1.loc[rows, "child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])
    room = ((start - dob) // DAY - 1).clip(lower=1, upper=30).to_numpy()
    ad1.loc[rows, "DATE_INT"] = start - pd.to_timedelta(rng.integers(1, room + 1), unit="D")


def _decision_reversed(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    # The adopted child's decision closed as if reversed (RD1) on a day after it was made, inside the year.
    pa = t["placed_for_adoption"]
    rows = pa["child_id"].isin(ids)
    day = pa.loc[rows, "DATE_PLACED"].clip(lower=s.start) + _days(rng, 1, 5, int(rows.sum()))
    pa.loc[rows, "DATE_PLACED_CEASED"] = day
    pa.loc[rows, "REASON_PLACED_CEASED"] = "RD1"


def _adopted_one_decision(t: Tables, s: Scope) -> np.ndarray:
    pa = t["placed_for_adoption"]
    once = pa["child_id"].map(pa["child_id"].value_counts()) == 1
    return _adopted(t, s) & _children_with(t, "placed_for_adoption", once & pa["DATE_PLACED_CEASED"].isna())


KINDS_ADOPTED = (
    # Whether the child was adopted by their foster carer left blank: the AD1 items are part filled (151)
    # and so incomplete for a child the episodes show adopted in the year (601, always with it here).
    _edit_kind("adopted_by_foster_carer_left_blank", "ad1", (), ("151", "601"),
               lambda t, s: _adopted_with("FOSTER_CARE", {"0", "1"})(t, s) & t["ad1"]["child_id"].isin(_ids(t, _adopted_in_episodes(t, s))),
               _set("FOSTER_CARE", None)),
    # The decision date keyed before care began: before the latest start (334) and so not the date of the
    # decision in PlacedAdoption, which the clean generator dates inside care (523).
    FaultKind("adoption_decision_dated_before_care", "ad1", (), ("334", "523"), _adopted_started_after_birth,
              _date_int_before_care),
    # A married man-and-woman couple keyed as a single adopter's legal status (L0 picked for L11).
    _edit_kind("couple_keyed_as_single_adopter", "ad1", (), ("514",), _married_couple, _set("LS_ADOPTR", "L0")),
    # The same couple keyed as a same-sex unmarried couple (L4).
    _edit_kind("mixed_sex_couple_keyed_as_same_sex_couple", "ad1", (), ("518",), _married_couple,
               _set("LS_ADOPTR", "L4")),
    # The married couple's sexes keyed FF for MF: a married mixed-sex status with a same-sex couple.
    _edit_kind("married_couple_sexes_keyed_ff", "ad1", (), ("520",), _married_couple, _set("SEX_ADOPTR", "FF")),
    # MF keyed as FM: not a code (176); for two adopters not a couple code (511); L11 needs MF (520).
    _edit_kind("adopters_sex_code_reversed", "ad1", (), ("176", "511", "520"), _married_couple,
               _set("SEX_ADOPTR", "FM")),
    # An unmarried mixed-sex couple's status (L3) keyed for a single or same-sex adopter(s).
    _edit_kind("unmarried_couple_status_for_other_adopters", "ad1", (), ("517",),
               _adopted_with("SEX_ADOPTR", {"F1", "M1", "FF", "MM"}), _set("LS_ADOPTR", "L3")),
    # A civil partnership (L2) keyed for a single adopter.
    _edit_kind("civil_partnership_for_single_adopter", "ad1", (), ("519",), _adopted_with("SEX_ADOPTR", {"F1", "M1"}),
               _set("LS_ADOPTR", "L2")),
    # The adopted child's only decision shown as reversed: adopted with no decision in force.
    FaultKind("adopted_child_decision_shown_reversed", "placed_for_adoption", (), ("525",), _adopted_one_decision,
              _decision_reversed),
)
for _k in KINDS_ADOPTED:
    register(_k)
KINDS_ADOPTION = KINDS_ADOPTION + KINDS_ADOPTED


def _room_for_earlier_decision(t: Tables, s: Scope) -> np.ndarray:
    """Adopted children with one open decision made in the year at least four days after both the year began
    and their latest start of care, so an earlier decision, made and reversed in between, fits."""
    pa = t["placed_for_adoption"]
    floor = pa["child_id"].map(_latest_start(t)).clip(lower=s.start)
    room = pa["DATE_PLACED"] - floor >= 4 * DAY
    return _adopted_one_decision(t, s) & _children_with(t, "placed_for_adoption", room)


def _earlier_decision_then_all_reversed(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    # An earlier decision, made and reversed (RD1) before the one the child was adopted under, and that
    # one shown as reversed too: every decision ceased.
    pa = t["placed_for_adoption"]
    mine = pa.loc[pa["child_id"].isin(ids)].sort_values("child_id")
    floor = mine["child_id"].map(_latest_start(t)).clip(lower=s.start)
    earlier = floor + DAY
    first = _decision(list(mine["child_id"]), earlier.to_numpy(), (earlier + DAY).to_numpy(), "RD1")
    t["placed_for_adoption"] = pd.concat([pa, first.reindex(columns=pa.columns)], ignore_index=True).astype(
        pa.dtypes.to_dict())
    _decision_reversed(t, ids, rng, s)


KINDS_REVERSED = (
    # Two decisions, each shown as reversed, for a child adopted in the year: 558 (more than one ceased
    # decision, none in force) and 525 (adopted, with AD1 items, under a reversed decision). The SSD extract
    # carries the child's AD1 on one permanence row (the latest decision), so the AD1 survives the read-back.
    FaultKind("adopted_child_every_decision_reversed", "placed_for_adoption", (), ("558", "525"),
              _room_for_earlier_decision, _earlier_decision_then_all_reversed),
)
for _k in KINDS_REVERSED:
    register(_k)
KINDS_ADOPTION = KINDS_ADOPTION + KINDS_REVERSED
