"""SSDA903 rules on social-worker episodes (SWEpisodes, from 2023/24) and deprivation of liberty orders
(DoLo, from 2026/27).

The social-worker rules use a reporting window that opens one year before the collection year. Where
the public validator departs from the DfE text (SW09's 3 days, SW11b's same-day successor, SW12's
per-pair test, SW17's children who left care, 706 without last year, 709/710's column name), these
follow the DfE text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.rules.ssda903.adoption import bad_date, filled, is_open, pair_any
from schemas.rules.ssda903.base import (
    ALL_YEARS,
    SHORT_BREAKS,
    by_child,
    child_codes,
    child_stat,
    ids,
    rule,
    shared,
)
from schemas.rules.ssda903.header import open_within_ended_care
from statreturns import dates
from statreturns.reference import code_list

YEAR_2025 = [2025]
FROM_2026 = [2026, 2027]
DOLO_YEARS = [2027]
SW_REASONS = code_list("ssda903", "sw_reason")
SW_START = pd.Timestamp(2023, 4, 1)  # the first social-worker reporting year began on 1 April 2023


def sw_window_start(t) -> pd.Timestamp:
    return t.collection_start - pd.DateOffset(years=1)


def ordered(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Rows with a child and a ``by`` date, in date order per child (row labels kept)."""
    f = frame[frame["CHILD"].notna() & frame[by].notna()]
    if f[by].dtype.kind != "M":
        return f.sort_values(["CHILD", by], kind="stable")
    # As sort_values(["CHILD", by], kind="stable"), on integers: the ids' codes in id order, then the date.
    child, _ = pd.factorize(f["CHILD"], sort=True)
    return f.iloc[np.lexsort((f[by].to_numpy(), child))]


@shared
def ordered_sw(t, name: str = "SWEpisodes") -> pd.DataFrame:
    """``ordered(t[name], "SW_DECOM")``, sorted once for all rules."""
    return ordered(t[name], "SW_DECOM")


@shared
def _same_child(t, name: str = "SWEpisodes") -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``ordered_sw(t, name)``: the row before (``before``) and the row after (``after``)
    belong to the same child. A child's rows are contiguous there, so this is ``groupby("CHILD")``'s
    ``cumcount() > 0`` and ``cumcount(ascending=False) > 0``, on the integer child codes."""
    f = ordered_sw(t, name)
    codes = child_codes(t)[name][t[name].index.get_indexer(f.index)]
    same = codes[1:] == codes[:-1]
    before, after = np.insert(same, 0, False)[: len(codes)], np.append(same, False)[: len(codes)]
    before.setflags(write=False)
    after.setflags(write=False)
    return before, after


@shared
def looked_after_at_end(t) -> pd.Index:
    """Children with a non-short-break episode still open on 31 March."""
    ep = t.Episodes
    open_at_end = (ep["DECOM"] <= t.collection_end) & (is_open(ep, "DEC") | (ep["DEC"] > t.collection_end))
    mask = open_at_end & ~ep["LS"].isin(SHORT_BREAKS)
    return ids(ep.loc[mask, "CHILD"].dropna().unique())


# --- SWEpisodes: completeness and validity ---------------------------------------------------------------

@rule("SW01aSTG1", "error", table="SWEpisodes", fields=["SW_DECOM", "SW_ID"], years=YEAR_2025,
      message="For each social worker episode, information should be complete")
def sw_incomplete_before_2023(t) -> pd.Series:
    sw = t.SWEpisodes
    return ~filled(sw, "SW_DECOM") | ((sw["SW_DECOM"] < SW_START) & ~filled(sw, "SW_ID"))


@rule("SW01bSTG1", "error", table="SWEpisodes", fields=["SW_DECOM", "SW_ID", "SW_REASON"], years=YEAR_2025,
      message="For each social worker episode, information should be complete")
def sw_incomplete_from_2023(t) -> pd.Series:
    sw = t.SWEpisodes
    missing = ~filled(sw, "SW_ID") | ~filled(sw, "SW_REASON")
    return ~filled(sw, "SW_DECOM") | ((sw["SW_DECOM"] >= SW_START) & missing)


@rule("SW02STG1", "error", table="SWEpisodes", fields=["SW_ID"], years=ALL_YEARS,
      message="Social worker ID does not begin with the characters ‘SW’ or ‘XX’.")
def sw_id_format(t) -> pd.Series:
    # SW_ID keeps its case in our tables; the prefix is compared case-insensitively, as the DfE portal does
    # after upper-casing.
    sw = t.SWEpisodes
    sid = sw["SW_ID"].astype("str").str.strip().str.upper()
    ok = sid.str.match(r"^(SW|XX)") & (sid.str.len() >= 4)
    return filled(sw, "SW_ID") & ~ok.fillna(False).astype(bool)


@rule("SW04STG1", "error", table="SWEpisodes", fields=["SW_DECOM"], years=ALL_YEARS,
      message="Date social worker episode began is not a valid date..")
def sw_decom_invalid(t) -> pd.Series:
    return bad_date(t.SWEpisodes, "SW_DECOM")


@rule("SW05STG1", "error", table="SWEpisodes", fields=["SW_DEC"], years=ALL_YEARS,
      message="Date social worker episode began is not a valid date.")
def sw_dec_invalid(t) -> pd.Series:
    return bad_date(t.SWEpisodes, "SW_DEC")


@rule("SW06STG2", "error", table="SWEpisodes", fields=["SW_DECOM"], years=ALL_YEARS,
      message="Social worker episode data should be within the social worker data reporting year.")
def sw_starts_after_year(t) -> pd.Series:
    return t.SWEpisodes["SW_DECOM"] > t.collection_end


@rule("SW07STG2", "error", table="SWEpisodes", fields=["SW_DEC"], years=ALL_YEARS,
      message="Social worker episode end date should be on or after the start of the social worker reporting "
              "period, and should be on or before the collection end date.")
def sw_end_outside_window(t) -> pd.Series:
    dec = t.SWEpisodes["SW_DEC"]
    return (dec < sw_window_start(t)) | (dec > t.collection_end)


@rule("SW08STG2", "error", table="SWEpisodes", fields=["SW_DEC"], years=ALL_YEARS,
      message="A new social worker episode has started, but the previous episode has not ended.")
def sw_earlier_episode_open(t) -> pd.Series:
    sw = t.SWEpisodes
    f = ordered_sw(t)
    not_latest = pd.Series(_same_child(t)[1], index=f.index)
    return (not_latest & is_open(f, "SW_DEC")).reindex(sw.index, fill_value=False)


@rule("SW09STG2", "error", table="SWEpisodes", fields=["SW_DECOM", "SW_DEC"], years=ALL_YEARS,
      message="Social worker episode appears to have lasted for less than 24 hours.")
def sw_under_a_day(t) -> pd.Series:
    # The DfE text says 24 hours: with whole dates, an episode ending on the day it began (or earlier). The
    # public validator's "under 3 days" would also flag episodes of one or two days.
    sw = t.SWEpisodes
    return (sw["SW_DEC"] - sw["SW_DECOM"]) < pd.Timedelta(days=1)


@shared
def _previous(t) -> pd.DataFrame:
    """Each episode (date order per child) with the previous episode's end: ``prev_dec``, ``prev_open``."""
    f = ordered_sw(t)
    has_prev = pd.Series(_same_child(t)[0], index=f.index)
    return pd.DataFrame({
        "SW_DECOM": f["SW_DECOM"],
        "SW_REASON": f["SW_REASON"],
        "has_prev": has_prev,
        "prev_dec": f["SW_DEC"].shift().where(has_prev),  # the child's previous episode's, as groupby's shift
        "prev_open": has_prev & dates.absent(f["SW_DEC_raw"].shift()),
    }, index=f.index)


@shared
def _not_within_a_week(t) -> pd.Series:
    sw = t.SWEpisodes
    p = _previous(t)
    gap = (p["SW_DECOM"] - p["prev_dec"]).abs()
    bad = p["SW_REASON"].ne("FCONTA") & (gap > pd.Timedelta(days=7))
    return bad.reindex(sw.index, fill_value=False)


@rule("SW10STG2", "error", table="SWEpisodes", fields=["SW_DECOM"], years=ALL_YEARS,
      message="A new social worker episode has started before the end date of the previous social worker "
              "episode.")
def sw_gap_sw10(t) -> pd.Series:
    # As described for this code: a blank reason is checked too (it is not FCONTA).
    return _not_within_a_week(t)


@rule("SW10aSTG2", "error", table="SWEpisodes", fields=["SW_DECOM"], years=FROM_2026,
      message="A new social worker episode has started and it is not within +/- 7 days of a previous episode.")
def sw_gap_sw10a(t) -> pd.Series:
    return _not_within_a_week(t)


@rule("SW10bSTG2", "error", table="SWEpisodes", fields=["SW_DECOM", "SW_REASON"], years=FROM_2026,
      message="A new social worker episode has started with a reason of first contact before the previous "
              "episode has ended.")
def sw_first_contact_overlap(t) -> pd.Series:
    # "Before the previous episode has ended": starting on the day it ended is allowed.
    sw = t.SWEpisodes
    p = _previous(t)
    bad = p["SW_REASON"].eq("FCONTA") & (p["prev_open"] | (p["SW_DECOM"] < p["prev_dec"]))
    return bad.reindex(sw.index, fill_value=False)


@rule("SW11bSTG2", "error", table="SWEpisodes", fields=["SW_DEC"], years=ALL_YEARS,
      message="Social worker episode has ended before 31 March and no subsequent social worker episode has "
              "been provided.")
def sw_ended_late_without_successor(t) -> pd.Series:
    # Ended in the last five days before 31 March (26-30 March) with no later-starting episode. A successor
    # starting on the day this one ended counts (the public validator flags that case).
    sw = t.SWEpisodes
    f = ordered_sw(t)
    has_next = pd.Series(_same_child(t)[1], index=f.index)
    end = t.collection_end
    late = (f["SW_DEC"] >= end - pd.Timedelta(days=5)) & (f["SW_DEC"] < end)
    return (late & ~has_next).reindex(sw.index, fill_value=False)


@rule("SW12STG2", "error", table="Episodes", needs=["SWEpisodes"], fields=["SW_DECOM"], years=ALL_YEARS,
      message="If a child is looked after on 31 March then all social worker episodes for the full previous "
              "year should be reported, even those whilst they were not looked after")
def sw_not_covering_care(t) -> pd.Series:
    # Reported on the care episode. Per episode, one of the child's social-worker episodes must satisfy
    # the test (the public validator tests every pair, flagging children with several workers). An open
    # episode neither starts nor ends care unless its RNE is S.
    ep = t.Episodes
    in_window = is_open(ep, "DEC") | ((ep["DEC"] >= sw_window_start(t)) & (ep["DEC"] <= t.collection_end))
    base = in_window & ~ep["LS"].isin(SHORT_BREAKS)
    starts = base & ep["RNE"].eq("S")
    ends = base & ep["REC"].notna() & ep["REC"].ne("X1")
    # Some worker episode starts on or after DECOM (before or on DEC): the child's latest (earliest) does.
    latest, earliest = (child_stat(t, "SWEpisodes", "SW_DECOM", how, "Episodes") for how in ("max", "min"))
    return (starts & ~(latest >= ep["DECOM"])) | (ends & ~(earliest <= ep["DEC"]))


@rule("SW13STG1", "error", table="SWEpisodes", fields=["SW_REASON"], years=ALL_YEARS,
      message="The reason for social worker change is not valid.")
def sw_reason_invalid(t) -> pd.Series:
    sw = t.SWEpisodes
    reason = sw["SW_REASON"]
    given = filled(sw, "SW_REASON")
    return (given & ~reason.isin(SW_REASONS)) | (~given & (sw["SW_DECOM"] >= SW_START))


@rule("SW15STG2", "error", table="SWEpisodes", fields=["SW_REASON"], years=YEAR_2025,
      message="Reason for social worker change is missing.")
def sw_reason_missing(t) -> pd.Series:
    # Defined for 2024/25 only (the public validator deletes it in the same year).
    sw = t.SWEpisodes
    inside = (sw["SW_DECOM"] >= sw_window_start(t)) & (sw["SW_DECOM"] <= t.collection_end)
    return inside & ~filled(sw, "SW_REASON")


def _continues_last_year(t, column: str) -> pd.Series:
    """This year's first episode of a child whose latest episode last year was open, where ``column``
    differs from that open episode's."""
    lf = ordered_sw(t, "SWEpisodes_last")
    open_last = lf.drop_duplicates("CHILD", keep="last")
    open_last = open_last[is_open(open_last, "SW_DEC")].set_index("CHILD")
    sw = t.SWEpisodes
    first = ordered_sw(t).drop_duplicates("CHILD", keep="first")
    expected = by_child(first["CHILD"], open_last[column])
    here = first[column]
    differs = expected.notna() & (here.isna() | (here != expected))
    return differs.reindex(sw.index, fill_value=False)


@rule("SW16aSTG2", "error", table="SWEpisodes", needs=["SWEpisodes_last"], fields=["SW_ID"], years=YEAR_2025,
      message="The social worker reason episode changed does not match the open episode at the end of last "
              "year.")
def sw_id_not_continued(t) -> pd.Series:
    return _continues_last_year(t, "SW_ID")


@rule("SW16bSTG2", "error", table="SWEpisodes", needs=["SWEpisodes_last"], fields=["SW_DECOM"],
      years=YEAR_2025,
      message="The social worker episode start date does not match the open episode at the end of last year.")
def sw_decom_not_continued(t) -> pd.Series:
    return _continues_last_year(t, "SW_DECOM")


@rule("SW16cSTG2", "error", table="SWEpisodes", needs=["SWEpisodes_last"], fields=["SW_REASON"],
      years=YEAR_2025,
      message="The social worker reason episode changed does not match the open episode at the end of last "
              "year.")
def sw_reason_not_continued(t) -> pd.Series:
    return _continues_last_year(t, "SW_REASON")


@rule("SW17STG2", "error", table="SWEpisodes", needs=["Episodes"], fields=["SW_DEC", "SW_DECOM"],
      years=FROM_2026, message="There is no social worker episode open at 31 March")
def sw_none_open_at_end(t) -> pd.Series:
    # Only children looked after on 31 March (the public validator also flags children who left care).
    # An episode ending on 31 March itself was still in force that day.
    sw = t.SWEpisodes
    latest = ordered_sw(t).drop_duplicates("CHILD", keep="last")
    closed = latest["SW_DEC"] < t.collection_end
    bad = closed & latest["CHILD"].isin(looked_after_at_end(t))
    return bad.reindex(sw.index, fill_value=False)


@rule("SW18STG2", "error", table="SWEpisodes", fields=["SW_DEC", "SW_DECOM"], years=FROM_2026,
      message="The end date of the social worker episode is before the start date")
def sw_end_before_start(t) -> pd.Series:
    sw = t.SWEpisodes
    return sw["SW_DEC"] < sw["SW_DECOM"]


@rule("SW19STG2", "error", table="SWEpisodes", fields=["SW_DEC", "SW_DECOM"], years=FROM_2026,
      message="There are 2 social worker episodes for the child starting on the same date.")
def sw_same_start(t) -> pd.Series:
    sw = t.SWEpisodes
    known = sw["CHILD"].notna() & sw["SW_DECOM"].notna()
    return known & sw.duplicated(["CHILD", "SW_DECOM"], keep="first")


# --- DoLo (2026/27) --------------------------------------------------------------------------------------

@rule("700", "error", table="DoLo", fields=["DOLO_START"], years=DOLO_YEARS,
      message="The start date of the DoLO is not a valid date.")
def dolo_start_invalid(t) -> pd.Series:
    # Blank is an error too: the start date is required.
    return t.DoLo["DOLO_START"].isna()


@rule("701", "error", table="DoLo", fields=["DOLO_END"], years=DOLO_YEARS,
      message="The end date of the DoLO is not a valid date.")
def dolo_end_invalid(t) -> pd.Series:
    return bad_date(t.DoLo, "DOLO_END")


@rule("702", "error", table="DoLo", fields=["DOLO_START", "DOLO_END"], years=DOLO_YEARS,
      message="The date that the DoLO ended is before the date that it started.")
def dolo_end_before_start(t) -> pd.Series:
    d = t.DoLo
    return d["DOLO_END"] <= d["DOLO_START"]


@rule("703", "error", table="DoLo", fields=["DOLO_START"], years=DOLO_YEARS,
      message="The date that the DoLO started is after the end of the collection year.")
def dolo_start_after_year(t) -> pd.Series:
    return t.DoLo["DOLO_START"] > t.collection_end


@rule("704", "error", table="DoLo", fields=["DOLO_END"], years=DOLO_YEARS,
      message="The date that the DoLO ended is before the start or after the end of the collection year.")
def dolo_end_outside_year(t) -> pd.Series:
    end = t.DoLo["DOLO_END"]
    return (end < t.collection_start) | (end > t.collection_end)


@rule("705", "error", table="DoLo", fields=["DOLO_START", "DOLO_END"], years=DOLO_YEARS,
      message="A DoLO cannot start when the previous DoLO is still open.")
def dolo_overlap(t) -> pd.Series:
    d = t.DoLo
    f = ordered(d, "DOLO_START")
    g = f.groupby("CHILD", sort=False)
    has_prev = g.cumcount() > 0
    prev_open = has_prev & dates.absent(g["DOLO_END_raw"].shift())
    bad = prev_open | (f["DOLO_START"] < g["DOLO_END"].shift())
    return bad.reindex(d.index, fill_value=False)


@rule("706", "error", table="DoLo_last", needs=["DoLo"], fields=["DOLO_START"], years=DOLO_YEARS,
      message="There is an open DoLO in last year’s return and there is no corresponding DoLO recorded at "
              "the start of this year..")
def open_dolo_not_carried(t) -> pd.Series:
    # Reported on last year's open DoLO row (that is where the missing continuation is visible); skipped,
    # not failed, when no previous return was given.
    last = t.DoLo_last
    candidates = is_open(last, "DOLO_END") & last["DOLO_START"].notna() & last["CHILD"].notna()
    this_year = t.DoLo[["CHILD", "DOLO_START"]]
    carried = pair_any(last, this_year, lambda m: m["DOLO_START"] == m["DOLO_START_r"])
    return candidates & ~carried


@rule("707", "error", table="DoLo", needs=["Episodes"], fields=["DOLO_END"], years=DOLO_YEARS,
      message="Child ceased to be looked after but there is a DoLO without an end date.")
def dolo_outside_care(t) -> pd.Index:
    # As 577 (lac_rules.csv, corrected): a DoLO with NO end date that started in or before (on or before the
    # end of) a period of care that has ended, including one started before the child's first episode in the
    # return. DoLOs with an end date are not this rule's concern; an unparseable end is 701's.
    return open_within_ended_care(t, "DoLo", "DOLO_START", "DOLO_END")


@rule("708", "error", table="DoLo", fields=["DOLO_START"], years=DOLO_YEARS,
      message="Dates of DoLOs are before child’s date of birth.")
def dolo_before_birth(t) -> pd.Series:
    # Borderline (issue #11): the DfE condition is that DOLO_START must be AFTER the child's DOB; the message
    # says "before". We follow the condition: a DoLO starting on the day of birth is reported too.
    d = t.DoLo
    return d["DOLO_START"] <= d["DOB"]


def _dolo_in_placement(t, places: frozenset[str], inside: bool) -> pd.Series:
    """DoLOs overlapping an episode whose PLACE is (``inside``) or is not in ``places``.

    Overlap is strict at the edges: an episode that ended the day the DoLO began (or began the day it
    ended) is a placement move on that day, not a placement the DoLO applied in.
    """
    ep = t.Episodes[["CHILD", "DECOM", "DEC", "DEC_raw", "PLACE"]]

    def overlaps(m: pd.DataFrame) -> pd.Series:
        starts_before_end = is_open(m, "DOLO_END") | (m["DECOM"] < m["DOLO_END"])
        ends_after_start = is_open(m, "DEC") | (m["DEC"] > m["DOLO_START"])
        in_set = m["PLACE"].isin(places)
        wanted = in_set if inside else (m["PLACE"].notna() & ~in_set)
        return m["DOLO_START"].notna() & starts_before_end & ends_after_start & wanted

    return pair_any(t.DoLo, ep, overlaps)


@rule("709", "error", table="DoLo", needs=["Episodes"], fields=["DOLO_START", "PLACE"], years=DOLO_YEARS,
      message="Child with a DoLO is in an unexpected placement type.")
def dolo_unexpected_placement(t) -> pd.Series:
    # Reads Episodes.PLACE (the public validator reads a PLACEMENT column that does not exist).
    return _dolo_in_placement(t, frozenset({"K2", "Z12", "Z13"}), inside=False)


@rule("710", "error", table="DoLo", needs=["Episodes"], fields=["DOLO_START", "PLACE"], years=DOLO_YEARS,
      message="Child with a DoLO can not be placed in secure children's homes, with parents, young offender "
              "institutions, or supported accommodation.")
def dolo_forbidden_placement(t) -> pd.Series:
    return _dolo_in_placement(t, frozenset({"K1", "P1", "R5", "K3"}), inside=True)
