"""More SSDA903 fault kinds: simple slips (a field blanked, an invalid code, a date out of order), each
naming the 903 rules it must trigger. Registered into ``faults.KINDS`` on import (``faults`` imports this
module last, so every user of the registry sees them)."""

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
    _days_before,
    _edit_kind,
    _la_in_year,
    _of_children_in,
    _rows_in_year,
    _set,
    register,
)
from statreturns.ssda903.build import _within, as_at, care_leavers, continuously_looked_after

Rows = Callable[[Tables, Scope], pd.Series]


def _episodes(extra: Callable[[pd.DataFrame], pd.Series] | None = None) -> Rows:
    """Episodes starting in the collection year (and meeting ``extra``)."""
    return _rows_in_year("la_episodes", "DECOM", extra)


def _header(extra: Callable[[pd.DataFrame], pd.Series] | None = None) -> Rows:
    """Rows of ``children`` of children in the year's SSDA903."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        c = t["children"]
        mask = pd.Series(s.in_903, index=c.index)
        return mask & extra(c) if extra is not None else mask
    return rows


def _copy(column: str, anchor: str):
    """``column`` becomes ``anchor``'s value on the row (a period that lasted no time, a postcode keyed
    in both places)."""
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = frame.loc[rows, anchor]
    return edit


def _adult_header(extra: Callable[[pd.DataFrame], pd.Series]) -> Rows:
    """Header rows (903) of children at least 14 at the start of the year (a first child's birth 14
    years after their own is before the year, so the build keeps it)."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        c = t["children"]
        return _header(extra)(t, s) & (c["PersonBirthDate"] + pd.DateOffset(years=14) < s.start)
    return rows


def _years_after(column: str, anchor: str, years: int):
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = frame.loc[rows, anchor] + pd.DateOffset(years=years)
    return edit


def _year_episodes(t: Tables, s: Scope) -> pd.DataFrame:
    """The episodes the year's 903 build looks at (as the council's system stood on 31 March)."""
    eps = as_at(t, s.end)["la_episodes"]
    return eps.loc[_within(eps, "DECOM", "DEC", s.start, s.end).to_numpy()]


def _sdq_rows(column: str) -> Rows:
    """OC2 rows the build reports with ``column`` given: looked after the whole year, aged 4 to 16."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        oc2 = t["oc2"]
        dob = oc2["child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])
        cohort = oc2["child_id"].isin(continuously_looked_after(_year_episodes(t, s), s.start, s.end))
        aged = (dob + pd.DateOffset(years=4) <= s.end) & (dob + pd.DateOffset(years=17) > s.start)
        return cohort & aged & oc2[column].notna()
    return rows


def _care_leaver_rows(t: Tables, s: Scope) -> pd.Series:
    """OC3 rows of the year's care-leaver cohort (the rows the build reports)."""
    return t["oc3"]["child_id"].isin(care_leavers(as_at(t, s.end)["la_episodes"], t["children"], s.end))


def _last_sw_ended(margin: int) -> Rows:
    """Each child's last social-worker episode, started in the year (``margin`` days in) and ended."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        sw = t["sw_episodes"]
        last = ~sw.sort_values(["child_id", "SW_DECOM"]).duplicated("child_id", keep="last")
        return _rows_in_year("sw_episodes", "SW_DECOM", lambda f: f["SW_DEC"].notna(), margin)(t, s) & last.reindex(
            sw.index)
    return rows


def _single(f: pd.DataFrame) -> pd.Series:
    """A child's only episode, starting their care (so no later episode compares its category of need)."""
    return (f["RNE"] == "S") & ~f["child_id"].duplicated(keep=False)


def _set_all(table: str, rows: Rows, values: dict[str, str]):
    """An injector setting ``values`` on every row of ``table`` among ``rows`` of the chosen children."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        frame = t[table]
        mask = frame["child_id"].isin(ids) & rows(t, s)
        for column, value in values.items():
            frame.loc[mask, column] = value
    return apply


def _oc2_rows(extra: Callable[[pd.DataFrame], pd.Series], sdq_age: bool = False, inner: bool = False) -> Rows:
    """OC2 rows the build reports (looked after the whole year; with ``sdq_age`` 4 by the end of the year
    and under 17 at its start, with ``inner`` 4 at its start and under 17 at its end) meeting ``extra``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        oc2 = t["oc2"]
        cohort = oc2["child_id"].isin(continuously_looked_after(_year_episodes(t, s), s.start, s.end))
        if sdq_age:
            dob = oc2["child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])
            four, seventeen = (s.start, s.end) if inner else (s.end, s.start)
            cohort &= (dob + pd.DateOffset(years=4) <= four) & (dob + pd.DateOffset(years=17) > seventeen)
        return cohort & extra(oc2)
    return rows


def _not_last(f: pd.DataFrame) -> pd.Series:
    """An episode a later one of the same child follows (rows are in date order per child)."""
    return f["child_id"].duplicated(keep="last")


def _urn(f: pd.DataFrame) -> pd.Series:
    """An episode with an Ofsted URN (so the provider rules 218, 224 can check it)."""
    return f["URN"].notna() & (f["URN"] != "XXXXXXX")


def _still_in_care(f: pd.DataFrame) -> pd.Series:
    """Episodes of children whose last episode is open (looked after at 31 March already)."""
    return f["child_id"].isin(set(f.loc[~f["child_id"].duplicated(keep="last") & f["DEC"].isna(), "child_id"]))


def _age_at(t: Tables, table: str, column: str, years: int, under: bool) -> pd.Series:
    """Rows of ``table`` whose child is under (``under``) or at least ``years`` old on the row's ``column``,
    a week clear of the birthday either way."""
    frame = t[table]
    dob = frame["child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])
    birthday = dob + pd.DateOffset(years=years)
    week = pd.Timedelta(days=7)
    return (frame[column] < birthday - week) if under else (frame[column] > birthday + week)


def _oc2_aged(years: int, under: bool, column: str) -> Rows:
    """OC2 rows of the cohort with ``column`` given, the child under (or at least) ``years`` on 31 March, a
    week clear of the birthday."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        oc2 = t["oc2"]
        dob = oc2["child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])
        birthday, week = dob + pd.DateOffset(years=years), pd.Timedelta(days=7)
        aged = (birthday > s.end + week) if under else (birthday < s.end - week)
        return _oc2_rows(lambda f: f[column].notna())(t, s) & aged
    return rows


def _left_care_aged(years: int) -> Rows:
    """A child's last episode, ended in the year with a reason, before the child's ``years``th birthday."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        last = _episodes(lambda f: f["DEC"].notna() & (f["DEC"] <= s.end) & f["REC"].notna() & (f["REC"] != "X1")
                         & ~f["child_id"].duplicated(keep="last"))(t, s)
        return last & _age_at(t, "la_episodes", "DEC", years, True)
    return rows


_KINDS_903 = (
    _edit_kind("unknown_category_of_need", "la_episodes", (), ("145",), _episodes(_single), _set("CIN", "N0")),
    _edit_kind("unknown_reason_place_change", "la_episodes", (), ("1009",),
               _episodes(lambda f: f["REASON_PLACE_CHANGE"].notna()), _set("REASON_PLACE_CHANGE", "MOVED")),
    _edit_kind("missing_reason_place_change", "la_episodes", (), ("225",),
               _episodes(lambda f: f["REASON_PLACE_CHANGE"].notna()), _set("REASON_PLACE_CHANGE", None)),
    _edit_kind("missing_placement_provider", "la_episodes", (), ("526", "224"),
               _episodes(lambda f: f["PLACE_PROVIDER"].notna() & (f["RNE"] != "L") & _urn(f)
                         & ~f["child_id"].duplicated(keep="last")), _set("PLACE_PROVIDER", None)),
    _edit_kind("episode_lasts_no_time", "la_episodes", (), ("355",),
               lambda t, s: _episodes(lambda f: f["DEC"].notna() & ~f["child_id"].duplicated(keep="last"))(t, s)
               & ~t["la_episodes"]["child_id"].isin(set(t["missing"]["child_id"])),  # else 578, 581 too
               _copy("DEC", "DECOM")),
    _edit_kind("missing_sex_looked_after", "children", ("4180",), ("101",), _header(), _set("Sex", None)),
    _edit_kind("sex_not_known", "children", (), ("232",), _header(), _set("Sex", "U")),
    _edit_kind("first_child_born_to_a_non_mother", "children", (), ("612",),
               _adult_header(lambda f: (f["Sex"] == "F") & (f["MOTHER"].astype("string") == "0")),
               _years_after("MC_DOB", "PersonBirthDate", 14)),
    _edit_kind("first_child_born_to_a_boy", "children", (), ("174",),
               _adult_header(lambda f: f["Sex"] == "M"), _years_after("MC_DOB", "PersonBirthDate", 14)),
    _edit_kind("missing_start_missing_flag", "missing", (), ("565", "566"),
               _rows_in_year("missing", "MIS_START", lambda f: f["MIS_END"].notna()),
               _set("MISSING", None)),
    _edit_kind("missing_period_ends_before_start", "missing", (), ("567",),
               _rows_in_year("missing", "MIS_START", lambda f: f["MIS_END"].notna(), 30),
               _days_before("MIS_END", "MIS_START", 1, 20)),
    _edit_kind("unknown_sdq_score", "oc2", (), ("180",),
               _sdq_rows("SDQ_SCORE"), _set("SDQ_SCORE", "99")),
    _edit_kind("unknown_sdq_reason", "oc2", (), ("196",),
               _sdq_rows("SDQ_REASON"), _set("SDQ_REASON", "SDQ9")),
    # The care-leaver and adoption cohorts are small, so each gets one kind: the codes keyed in the
    # wrong columns of the leaver's (adopter's) record, every one of them invalid.
    FaultKind("care_leaver_codes_garbled", "oc3", (), ("131", "132", "133"),
              lambda t, s: _children_with(t, "oc3", _care_leaver_rows(t, s)),
              _set_all("oc3", _care_leaver_rows, {"IN_TOUCH": "MAYBE", "ACTIV": "Z9", "ACCOM": "Z9"})),
    FaultKind("adoption_codes_garbled", "ad1", (), ("114", "175", "177"),
              lambda t, s: _children_with(t, "ad1", _of_children_in("ad1", "903")(t, s)),
              _set_all("ad1", _of_children_in("ad1", "903"), {"FOSTER_CARE": "7", "NB_ADOPTR": "7",
                                                             "LS_ADOPTR": "L9"})),
    _edit_kind("unknown_permanence_la", "previous_permanence", (), ("633",),
               lambda t, s: t["previous_permanence"]["child_id"].isin(set(t["la_episodes"].loc[
                   _la_in_year(t, s) & (t["la_episodes"]["RNE"] == "S"), "child_id"]))
               & t["previous_permanence"]["LA_PERM"].notna(), _set("LA_PERM", "ZZZ")),
    _edit_kind("social_worker_id_malformed", "sw_episodes", (), ("SW02STG1",),
               _rows_in_year("sw_episodes", "SW_DECOM"), _set("SW_ID", "AB12345")),
    _edit_kind("social_worker_episode_ends_before_start", "sw_episodes", (), ("SW18STG2", "SW09STG2"), _last_sw_ended(30),
               _days_before("SW_DEC", "SW_DECOM", 1, 20)),
    _edit_kind("social_worker_episode_lasts_no_time", "sw_episodes", (), ("SW09STG2",), _last_sw_ended(0),
               _copy("SW_DEC", "SW_DECOM")),
    _edit_kind("oc2_item_not_0_or_1", "oc2", (), ("181",), _oc2_rows(lambda f: f["IMMUNISATIONS"].notna()),
               _set("IMMUNISATIONS", "7")),
    _edit_kind("intervention_without_misuse", "oc2", (), ("193",),
               _oc2_rows(lambda f: f["SUBSTANCE_MISUSE"].astype("string") == "0"), _set("INTERVENTION_RECEIVED", "1")),
    _edit_kind("sdq_reason_beside_score", "oc2", (), ("197a",), _oc2_rows(lambda f: f["SDQ_SCORE"].notna(), True),
               _set("SDQ_REASON", "SDQ2")),
    _edit_kind("sdq_score_left_out", "oc2", (), ("186",),
               _oc2_rows(lambda f: f["SDQ_SCORE"].notna() & f["SDQ_REASON"].isna(), True, True), _set("SDQ_SCORE", None)),
    _edit_kind("reason_place_change_on_open_episode", "la_episodes", (), ("233",),
               _episodes(lambda f: f["DEC"].isna() & f["REASON_PLACE_CHANGE"].isna()),
               _set("REASON_PLACE_CHANGE", "CARPL")),
    _edit_kind("own_provision_code_on_a_placement", "la_episodes", (), ("550", "224"),
               _episodes(lambda f: (f["PLACE"] != "P1") & f["PLACE_PROVIDER"].notna() & (f["RNE"] != "L") & _urn(f)
                         & ~f["child_id"].duplicated(keep="last")), _set("PLACE_PROVIDER", "PR0")),
    _edit_kind("missing_urn", "la_episodes", (), ("218",),
               _episodes(lambda f: _urn(f) & (f["RNE"] != "L")
                         & ~f["child_id"].duplicated(keep="last")), _set("URN", None)),
    _edit_kind("invalid_placement_postcode", "la_episodes", (), ("392c", "392a", "164", "169", "179"),
               lambda t, s: _episodes(lambda f: f["PL_POST"].notna() & f["HOME_POST"].notna() & (f["RNE"] != "L")
                                      & ~f["LS"].isin(["V3", "V4"]) & ~f["child_id"].duplicated(keep="last"))(t, s)
               & ~t["la_episodes"]["child_id"].isin(set(t["uasc"]["child_id"])),  # UASC: no distance anyway
               _set("PL_POST", "ZZ99 9QQ")),
    _edit_kind("earlier_episode_left_open", "la_episodes", (), ("142", "148"),
               _episodes(lambda f: _not_last(f) & f["DEC"].notna() & f["REASON_PLACE_CHANGE"].isna() & _still_in_care(f)),
               _set("DEC", None)),
    _edit_kind("first_episode_not_started", "la_episodes", (), ("357",),
               _episodes(lambda f: (f["RNE"] == "S") & ~f["child_id"].duplicated()), _set("RNE", "P")),
    _edit_kind("earlier_social_worker_left_open", "sw_episodes", (), ("SW08STG2",),
               _rows_in_year("sw_episodes", "SW_DECOM", lambda f: _not_last(f) & f["SW_DEC"].notna()),
               _set("SW_DEC", None)),
    _edit_kind("public_provider_of_foster_placement", "la_episodes", (), ("529",),
               _episodes(lambda f: f["PLACE"].isin(["U1", "U2", "U3", "U4", "U5", "U6"]) & (f["PLACE_PROVIDER"] != "PR3")
                         & (f["RNE"] != "L") & _urn(f) & ~f["child_id"].duplicated(keep="last")),
               _set("PLACE_PROVIDER", "PR3")),
    _edit_kind("placement_postcode_is_home", "la_episodes", (), ("392d",),
               _episodes(lambda f: (f["PLACE"] != "P1") & f["HOME_POST"].notna() & f["PL_POST"].notna()
                         & (f["RNE"] != "L") & ~f["child_id"].duplicated(keep="last")),
               _copy("PL_POST", "HOME_POST")),
    _edit_kind("youth_justice_status_under_10", "la_episodes", (), ("358", "364"),
               lambda t, s: _episodes(_single)(t, s) & _age_at(t, "la_episodes", "DECOM", 10, True)
               & (t["la_episodes"]["DEC"].fillna(s.end) - t["la_episodes"]["DECOM"] > pd.Timedelta(days=21)),  # 364
               _set("LS", "J2")),
    _edit_kind("review_participation_of_an_older_child", "la_reviews", (), ("440",),
               lambda t, s: _rows_in_year("la_reviews", "REVIEW")(t, s) & _age_at(t, "la_reviews", "REVIEW", 4, False),
               _set("REVIEW_CODE", "PN0")),
    _edit_kind("review_participation_of_an_under_4", "la_reviews", (), ("441",),
               lambda t, s: _rows_in_year("la_reviews", "REVIEW")(t, s) & _age_at(t, "la_reviews", "REVIEW", 4, True),
               _set("REVIEW_CODE", "PN1")),
    _edit_kind("independent_living_too_young", "la_episodes", (), ("387",), _left_care_aged(14), _set("REC", "E5")),
    _edit_kind("adult_care_too_young", "la_episodes", (), ("389",), _left_care_aged(16), _set("REC", "E7")),
    _edit_kind("conviction_left_blank", "oc2", (), ("543",), _oc2_aged(10, False, "CONVICTED"),
               _set("CONVICTED", None)),
    _edit_kind("health_check_left_blank", "oc2", (), ("545",), _oc2_aged(5, True, "HEALTH_CHECK"),
               _set("HEALTH_CHECK", None)),
    _edit_kind("no_previous_permanence_with_details", "previous_permanence", (), ("635",),
               lambda t, s: t["previous_permanence"]["child_id"].isin(set(t["la_episodes"].loc[
                   _la_in_year(t, s) & (t["la_episodes"]["RNE"] == "S"), "child_id"]))
               & t["previous_permanence"]["LA_PERM"].notna(), _set("PREV_PERM", "Z1")),
    _edit_kind("previous_permanence_left_blank", "previous_permanence", (), ("630",),
               lambda t, s: t["previous_permanence"]["child_id"].isin(set(t["la_episodes"].loc[
                   _la_in_year(t, s) & (t["la_episodes"]["RNE"] == "S"), "child_id"]))
               & t["previous_permanence"]["PREV_PERM"].notna() & t["previous_permanence"]["LA_PERM"].isna(),
               _set("PREV_PERM", None)),
    _edit_kind("social_worker_gap", "sw_episodes", (), ("SW10STG2", "SW10aSTG2"),
               _rows_in_year("sw_episodes", "SW_DECOM", lambda f: _not_last(f) & f["SW_DEC"].notna()
                             & (f["SW_DEC"] - f["SW_DECOM"] > pd.Timedelta(days=30)), 30),
               _days_before("SW_DEC", "SW_DEC", 10, 20)),  # ended early: a gap before the next worker
)
for _k in _KINDS_903:
    register(_k)

_ONE_EXTRACT = "both years' returns are built from the one extract, so last year's {} is this year's"
UNREACHABLE.update({
    ("ssda903", "105"): "the UASC flag is derived from the UASC table (always 0 or 1) for the SSD extract",
    ("ssda903", "166"): "the build keeps the reviews dated in the year, so a review without a date is not "
                        "returned",
    ("ssda903", "202"): _ONE_EXTRACT.format("sex"),
    ("ssda903", "203"): _ONE_EXTRACT.format("date of birth"),
    ("ssda903", "204"): _ONE_EXTRACT.format("ethnicity"),
    ("ssda903", "208"): _ONE_EXTRACT.format("UPN"),
    **{("ssda903", code): "the build blanks the item before the age the DfE asks it from" for code in
       ("188", "189", "542", "546")},
})
