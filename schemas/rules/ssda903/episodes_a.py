"""SSDA903 rules on the Episodes table, codes 141 to 380 (with Header, last year, postcodes, Ofsted lists).

Left out (no year in 2025-2027 marks them, and no version file falls in range): 217t and 230 (2023/24
only) and 370 (P2 independent living, deleted for 2024/25).

Readings taken where the DfE wording leaves room (each also noted at its rule):
- "Open" means DEC is blank in the file; a DEC that is present but not a date is neither open nor closed,
  so duration rules skip it (141/147 report the bad date).
- Episodes are put in order by DECOM per child; an episode whose DECOM is not a date has no place in that
  order and is left out of the order-based rules (142, 225, 226, 302, 336, 357, 361-364).
- Rules that name both an episode and the header row report the Episodes row only (one table per rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.rules.ssda903.base import (
    ALL_YEARS,
    SHORT_BREAKS,
    birthday,
    blank_in,
    by_child,
    child_in,
    header_value,
    present,
    present_in,
    rule,
    shared,
)
from statreturns import dates
from statreturns.reference import code_list
from statreturns.ssda903.tables import SUBMITTING_LA

NEXT_YEARS = (2026, 2027)

RNE_CODES = code_list("ssda903", "rne")
LS_CODES = code_list("ssda903", "legal_status")
CIN_CODES = code_list("ssda903", "cin")
REC_CODES = code_list("ssda903", "rec")
PROVIDER_CODES = code_list("ssda903", "place_provider")

TEMPORARY = frozenset({"T0", "T1", "T2", "T3", "T4"})
Z_SPLIT = frozenset({"Z11", "Z12", "Z13", "Z14"})
ADOPTION = frozenset({"A3", "A4", "A5", "A6"})
FOSTER = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
OUTSIDE_ENGLAND = frozenset({"WAL", "SCO", "NIR", "NUK", "CON"})
NO_URN = "XXXXXXX"  # the placeholder URN used for regional adoption agencies

# Placement codes by year (data/codes/ssda903.yaml): 2025 still has Z1, then Z11-Z14. K3 is valid in
# 2024/25: the public validator's lower-case "k3" for that year is a slip (peer note), not DfE logic.
PLACE_CODES = {year: code_list("ssda903", "place", year) for year in ALL_YEARS}
# Placement types that take no provider, as rule 178 lists them (T4 leaves the list in 2025/26).
NO_PROVIDER_178: dict[int, frozenset[str]] = {
    2025: TEMPORARY | {"Z1"},
    2026: (TEMPORARY - {"T4"}) | Z_SPLIT,
    2027: (TEMPORARY - {"T4"}) | Z_SPLIT,
}
NO_PROVIDER_213: dict[int, frozenset[str]] = {
    2025: TEMPORARY | {"Z1"},
    2026: TEMPORARY | Z_SPLIT,
    2027: TEMPORARY | Z_SPLIT,
}
# Placement types that need no Ofsted URN (218 exempts them, 222 forbids a URN on them).
URN_EXEMPT: dict[int, frozenset[str]] = {
    2025: TEMPORARY | {"P1", "P3", "R1", "R2", "R5", "Z1"},
    2026: TEMPORARY | Z_SPLIT | {"P1", "P3", "R1", "R2", "R5"},
    2027: TEMPORARY | Z_SPLIT | {"P1", "P3", "R1", "R2", "R5"},
}


# ---------------------------------------------------------------- private helpers

def _invalid_code(s: pd.Series, codes: frozenset[str]) -> pd.Series:
    """Present but not one of ``codes``."""
    return present(s) & ~s.isin(codes)


@shared
def _open(t) -> pd.Series:
    """Episodes with no DEC in the file (a DEC that does not parse is not open)."""
    return blank_in(t, "Episodes", "DEC_raw")


@shared
def _end(t) -> pd.Series:
    """DEC, or the collection end for an open episode; NaT where DEC is present but not a date."""
    return t.Episodes["DEC"].where(~_open(t), t.collection_end)


def _days(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.days


def _dob(t) -> pd.Series:
    return header_value(t, "Episodes", "DOB")


def _mask(rows: pd.Series, index: pd.Index) -> pd.Series:
    """A boolean mask on a subset of rows, widened to the whole table (other rows pass)."""
    return rows.reindex(index, fill_value=False).astype(bool)


@shared
def _episodes_in_order(t) -> pd.DataFrame:
    """Episodes with a valid DECOM in order of CHILD then DECOM (file order breaks ties), sorted once.

    Sorted on the integer EPISODE_ORDER built with the tables, which ranks rows with a CHILD and a
    DECOM by (CHILD, DECOM, file order); rows without a CHILD come last, by DECOM then file order, as
    in a stable sort by CHILD then DECOM.
    """
    ep = t.Episodes
    f = ep[ep["DECOM"].notna()]
    known = f["CHILD"].notna().to_numpy()
    rank = f["EPISODE_ORDER"].to_numpy(dtype="int64", na_value=-1)[known]
    first = np.flatnonzero(known)[np.argsort(rank, kind="stable")]
    rest = np.flatnonzero(~known)[np.argsort(f["DECOM"].to_numpy()[~known], kind="stable")]
    return f.iloc[np.concatenate([first, rest])]


@shared
def _real_urn(t) -> pd.Series:
    """Episodes with a URN other than the no-URN placeholder."""
    return present_in(t, "Episodes", "URN") & (t.Episodes["URN"] != NO_URN)


def _providers(t) -> pd.DataFrame:
    """The Ofsted lists, one row per URN (first wins), indexed by the stripped URN."""
    lists = t.OfstedProviderLists
    urn = lists["URN"].astype("str").str.strip().str.upper()
    return lists.assign(URN=urn).drop_duplicates("URN").set_index("URN")


def _provider_value(t, column: str) -> pd.Series:
    """``column`` of each episode's provider (NaN/NaT where the URN is not in the lists)."""
    return by_child(t.Episodes["URN"], _providers(t)[column])


def _registered_pairs(t, column: str) -> pd.Index:
    """Keys "URN|CODE" for every code in the comma-separated ``column`` of each provider."""
    codes = _providers(t)[column].astype("str").str.split(",").explode().str.strip().str.upper()
    pairs = codes.rename("CODE").reset_index()
    return pd.Index(pairs["URN"] + "|" + pairs["CODE"])


def _code_registered(t, column: str, episode_code: str) -> pd.Series:
    ep = t.Episodes
    key = ep["URN"].astype("str") + "|" + ep[episode_code].astype("str")
    return key.isin(_registered_pairs(t, column))


def _squash(postcode: pd.Series) -> pd.Series:
    return postcode.astype("str").str.replace(" ", "", regex=False).str.upper()


def _known_urn(t) -> pd.Series:
    return t.Episodes["URN"].isin(_providers(t).index)


def _age_below(t, place: str, years: int) -> pd.Series:
    """A ``place`` episode (open or closed) that starts before the child's ``years``-th birthday."""
    ep = t.Episodes
    return (ep["PLACE"] == place) & (ep["DECOM"] < birthday(_dob(t), years))


def _closed_longer_than(t, place: str, max_days: int) -> pd.Series:
    ep = t.Episodes
    return (ep["PLACE"] == place) & (_days(ep["DECOM"], ep["DEC"]) > max_days)


def _run_longer_than(t, legal_status: str, max_days: int) -> pd.Series:
    """Flag every episode of an unbroken run of ``legal_status`` episodes lasting over ``max_days``.

    A run continues while the next episode starts on (or before) the day the previous one ended; an
    open episode runs to the collection end. Sorting is on a copy and its result is used.
    """
    ep = t.Episodes
    ordered = _episodes_in_order(t)  # filtering a sorted frame keeps its order
    ordered = ordered[(ordered["LS"] == legal_status).to_numpy()]
    runs = pd.DataFrame({"CHILD": ordered["CHILD"], "DECOM": ordered["DECOM"], "END": _end(t).loc[ordered.index]})
    prev_end = runs.groupby("CHILD", sort=False)["END"].shift()
    run_id = (prev_end.isna() | (runs["DECOM"] > prev_end)).cumsum()
    start = runs.groupby(run_id)["DECOM"].transform("min")
    stop = runs.groupby(run_id)["END"].transform("max")
    return _mask(_days(start, stop) > max_days, ep.index)


def _home_la(t) -> pd.Index:
    """The submitting LA's ONS code, read off placements the postcode lookup marked IN the LA.

    The tables carry the LA's 3-digit DfE number only; the ONS code is what PL_LA holds.
    """
    ep = t.Episodes
    return pd.Index(ep.loc[ep["PL_LOCATION"] == "IN", "PL_LA"].dropna().unique())


# ---------------------------------------------------------------- 141-149: codes and dates

@rule("141", "error", table="Episodes", fields=["DECOM"], years=ALL_YEARS,
      message="Date episode began is not a valid date.")
def decom_not_valid(t) -> pd.Series:
    ep = t.Episodes
    return dates.invalid(ep["DECOM_raw"], ep["DECOM"])


@rule("142", "error", table="Episodes", fields=["DEC", "REC"], years=ALL_YEARS,
      message="A new episode has started, but the previous episode has not ended.")
def earlier_episode_not_ended(t) -> pd.Series:
    # "Latest" is the child's greatest valid DECOM; every episode that starts before it must be ended.
    ep = t.Episodes
    latest = ep.groupby("CHILD", sort=False)["DECOM"].transform("max")
    not_ended = blank_in(t, "Episodes", "DEC_raw") | ~present(ep["REC"])
    return (ep["DECOM"] < latest) & not_ended


@rule("143", "error", table="Episodes", fields=["RNE"], years=ALL_YEARS,
      message="The reason for new episode code is not a valid code.")
def rne_not_valid(t) -> pd.Series:
    return _invalid_code(t.Episodes["RNE"], RNE_CODES)


@rule("144", "error", table="Episodes", fields=["LS"], years=ALL_YEARS,
      message="The legal status code is not a valid code.")
def ls_not_valid(t) -> pd.Series:
    return _invalid_code(t.Episodes["LS"], LS_CODES)


@rule("145", "error", table="Episodes", fields=["CIN"], years=ALL_YEARS,
      message="Category of need code is not a valid code.")
def cin_not_valid(t) -> pd.Series:
    return _invalid_code(t.Episodes["CIN"], CIN_CODES)


@rule("146", "error", table="Episodes", fields=["PLACE"], years=ALL_YEARS,
      message="Placement type code is not a valid code.")
def place_not_valid(t) -> pd.Series:
    return _invalid_code(t.Episodes["PLACE"], PLACE_CODES[t.year])


@rule("147", "error", table="Episodes", fields=["DEC"], years=ALL_YEARS,
      message="Date episode ceased is not a valid date.")
def dec_not_valid(t) -> pd.Series:
    ep = t.Episodes
    return dates.invalid(ep["DEC_raw"], ep["DEC"])


@rule("148", "error", table="Episodes", fields=["DEC", "REC"], years=ALL_YEARS,
      message="Date episode ceased and reason episode ceased must both be coded, or both left blank.")
def dec_rec_mismatch(t) -> pd.Series:
    ep = t.Episodes
    return present_in(t, "Episodes", "DEC_raw") != present(ep["REC"])


@rule("149", "error", table="Episodes", fields=["REC"], years=ALL_YEARS,
      message="Reason episode ceased code is not valid.")
def rec_not_valid(t) -> pd.Series:
    return _invalid_code(t.Episodes["REC"], REC_CODES)


# ---------------------------------------------------------------- 164-199: derived placement data, history

@rule("164", "error", table="Episodes", fields=["PL_DISTANCE"], years=ALL_YEARS, needs=["Postcodes", "Header"],
      message="Distance is not valid. Please check a valid postcode has been entered. [NOTE: This check will "
              "result in false positives for children formerly UASC not identified as such in loaded data]")
def distance_not_valid(t) -> pd.Series:
    # DfE: for children not UASC this year or last, and not on a short break (V3/V4 carry no placement
    # postcode), PL_DISTANCE must be 0.0-999.9. An unknown distance (postcode not found) is not valid.
    ep = t.Episodes
    uasc = set(t.Header.loc[t.Header["UASC"] == "1", "CHILD"].dropna())
    if t.has("UASC_last"):
        uasc |= set(t.UASC_last["CHILD"].dropna())
    distance = pd.to_numeric(ep["PL_DISTANCE"], errors="coerce")
    in_range = distance.between(0.0, 999.9)
    return ~in_range & ~ep["CHILD"].isin(uasc) & ~ep["LS"].isin(SHORT_BREAKS)


@rule("169", "error", table="Episodes", fields=["PL_LA"], years=ALL_YEARS, needs=["Postcodes"],
      message="Local Authority (LA) of placement is not valid or is missing. Please check a valid postcode "
              "has been entered.")
def placement_la_missing(t) -> pd.Series:
    ep = t.Episodes
    return blank_in(t, "Episodes", "PL_LA") & ~ep["LS"].isin(SHORT_BREAKS)


@rule("178", "error", table="Episodes", fields=["PLACE_PROVIDER"], years=ALL_YEARS,
      message="Placement provider code is not a valid code.")
def provider_not_valid(t) -> pd.Series:
    ep = t.Episodes
    provider = ep["PLACE_PROVIDER"]
    not_taken = ep["PLACE"].isin(NO_PROVIDER_178[t.year])
    return present(provider) & (~provider.isin(PROVIDER_CODES) | not_taken)


# PL_LOCATION is IN/OUT of the submitting LA: without it every episode would be "not valid", so 179 is skipped.
@rule("179", "error", table="Episodes", fields=["PL_LOCATION"], years=ALL_YEARS, needs=["Postcodes", SUBMITTING_LA],
      message="Placement location code is not a valid code.")
def placement_location_missing(t) -> pd.Series:
    ep = t.Episodes
    return ~ep["PL_LOCATION"].isin(["IN", "OUT"]) & ~ep["LS"].isin(SHORT_BREAKS)


@rule("199", "error", table="Episodes", fields=["CHILD"], years=ALL_YEARS,
      message="Episode information shows child has been previously adopted from care. [NOTE: This only tests "
              "the current and previous year data loaded into the tool]")
def adopted_before(t) -> pd.Series:
    # Last year's episodes are used when given (the rule is not skipped without them). "After" the first
    # adoption means starting later than the adoption-ending episode began, so the same open episode
    # repeated in both years is never counted twice.
    ep = t.Episodes
    frames = [ep[["CHILD", "DECOM", "REC"]]]
    if t.has("Episodes_last"):
        frames.append(t.Episodes_last[["CHILD", "DECOM", "REC"]])
    both = pd.concat(frames, ignore_index=True)
    adopted = both[both["REC"].isin(["E11", "E12"])]
    first = adopted.groupby("CHILD", sort=False)["DECOM"].min()
    return ep["DECOM"] > by_child(ep["CHILD"], first)


@rule("207", "error", table="Header", fields=["MOTHER"], years=ALL_YEARS, needs=["Episodes", "Header_last"],
      message="Mother status for the current year disagrees with the mother status already recorded for "
              "this child.")
def mother_status_changed(t) -> pd.Series:
    header = t.Header
    was_mother = header_value(t, "Header", "MOTHER", header="Header_last") == "1"
    has_episodes = child_in(t, "Header", "Episodes")
    return has_episodes & was_mother & (header["MOTHER"] != "1")


@rule("210", "error", table="Episodes", fields=["UPN", "DECOM"], years=ALL_YEARS, needs=["Header"],
      message="Children looked after for more than a week at 31 March should not have an unknown Unique "
              "Pupil Number (UPN) code of UN4.")
def un4_with_late_episode(t) -> pd.Series:
    # The DfE condition as written: if UPN is UN4, no episode may start on or after 24 March.
    ep = t.Episodes
    week_before_end = pd.Timestamp(year=t.year, month=3, day=24)
    upn = header_value(t, "Episodes", "UPN")
    return (upn == "UN4") & (ep["DECOM"] >= week_before_end)


# ---------------------------------------------------------------- 213-243: providers, URNs, placement changes

@rule("213", "error", table="Episodes", fields=["PLACE_PROVIDER"], years=ALL_YEARS,
      message="Placement provider information not required.")
def provider_not_required(t) -> pd.Series:
    ep = t.Episodes
    return present(ep["PLACE_PROVIDER"]) & ep["PLACE"].isin(NO_PROVIDER_213[t.year])


@rule("214", "error", table="Episodes", fields=["PL_POST", "URN"], years=ALL_YEARS,
      message="Placement location information not required.")
def short_break_location(t) -> pd.Series:
    ep = t.Episodes
    return ep["LS"].isin(SHORT_BREAKS) & (present_in(t, "Episodes", "PL_POST") | present_in(t, "Episodes", "URN"))


@rule("217", "error", table="Episodes", fields=["PLACE", "DECOM", "RNE"], years=ALL_YEARS,
      message="Children who are placed for adoption with current foster carers (placement types A3 or A5) "
              "must have a reason for new episode of S, T or U.")
def adoption_with_carers_rne(t) -> pd.Series:
    ep = t.Episodes
    from_2015 = ep["DECOM"] >= pd.Timestamp(2015, 4, 1)
    return from_2015 & ep["PLACE"].isin(["A3", "A5"]) & ~ep["RNE"].isin(["S", "T", "U"])


@rule("218", "error", table="Episodes", fields=["URN"], years=ALL_YEARS, needs=["Postcodes"],
      message="Ofsted Unique reference number (URN) is required.")
def urn_required(t) -> pd.Series:
    # Short breaks (V3/V4) are exempt too: rule 214 forbids them a URN (peer note).
    ep = t.Episodes
    in_year = _open(t) | (ep["DEC"] >= t.collection_start)
    exempt = (ep["PLACE"].isin(URN_EXEMPT[t.year]) | ep["PL_LA"].isin(OUTSIDE_ENGLAND)
              | ep["LS"].isin(SHORT_BREAKS))
    return in_year & blank_in(t, "Episodes", "URN") & ~exempt


@rule("219", "error", table="Episodes", fields=["URN", "PLACE"], years=ALL_YEARS, needs=["OfstedProviderLists"],
      message="The Ofsted Unique reference number (URN) provided for the child's placement does not match "
              "the placement type recorded.")
def urn_place_mismatch(t) -> pd.Series:
    # A URN missing from the lists cannot match any placement type, so it fails too.
    return _real_urn(t) & ~_code_registered(t, "PLACE_CODES", "PLACE")


@rule("221", "error", table="Episodes", fields=["PL_POST"], years=ALL_YEARS, needs=["OfstedProviderLists"],
      message="The Ofsted Unique reference number (URN) provided for the child's placement does not match "
              "the placement postcode provided.")
def urn_postcode_mismatch(t) -> pd.Series:
    # Compared only where both postcodes are known (an unknown URN is rule 219's finding).
    ep = t.Episodes
    registered = _provider_value(t, "POSTCODE")
    scope = (_real_urn(t) & ep["PLACE"].isin(["K1", "K2", "K3", "R3", "S1"]) & ~ep["LS"].isin(SHORT_BREAKS)
             & present_in(t, "Episodes", "PL_POST") & present(registered))
    return scope & (_squash(ep["PL_POST"]) != _squash(registered))


@rule("222", "error", table="Episodes", fields=["URN"], years=ALL_YEARS,
      message="Ofsted Unique reference number (URN) should not be recorded for this placement type.")
def urn_not_for_place(t) -> pd.Series:
    ep = t.Episodes
    return _real_urn(t) & ep["PLACE"].isin(URN_EXEMPT[t.year])


@rule("224", "error", table="Episodes", fields=["PLACE_PROVIDER"], years=ALL_YEARS,
      needs=["OfstedProviderLists"],
      message="The Ofsted Unique reference number (URN) provided for the child's placement does not match "
              "the placement provider recorded.")
def urn_provider_mismatch(t) -> pd.Series:
    # Only URNs found in the lists are compared (an unknown URN is rule 219's finding).
    return _real_urn(t) & _known_urn(t) & ~_code_registered(t, "PROVIDER_CODES", "PLACE_PROVIDER")


@rule("225", "error", table="Episodes", fields=["REASON_PLACE_CHANGE"], years=ALL_YEARS,
      message="Reason for placement change must be recorded.")
def place_change_reason_missing(t) -> pd.Series:
    ep = _episodes_in_order(t)
    nxt = ep.groupby("CHILD", sort=False)[["RNE", "PLACE"]].shift(-1)
    fails = ((ep["REC"] == "X1") & nxt["RNE"].isin(["P", "B", "T", "U"])
             & ~ep["PLACE"].isin(TEMPORARY) & ~nxt["PLACE"].isin(TEMPORARY)
             & ~present(ep["REASON_PLACE_CHANGE"]))
    return _mask(fails, t.Episodes.index)


@rule("226", "error", table="Episodes", fields=["REASON_PLACE_CHANGE", "PLACE"], years=ALL_YEARS,
      message="Reason for placement change is not required for temporary placements.")
def place_change_reason_on_temporary(t) -> pd.Series:
    # The row reported is the one holding the reason: the temporary placement itself, or the episode
    # immediately before one.
    ep = _episodes_in_order(t)
    next_place = ep.groupby("CHILD", sort=False)["PLACE"].shift(-1)
    has_reason = present(ep["REASON_PLACE_CHANGE"])
    fails = has_reason & (ep["PLACE"].isin(TEMPORARY) | next_place.isin(TEMPORARY))
    return _mask(fails, t.Episodes.index)


@rule("227", "error", table="Episodes", fields=["URN", "DECOM"], years=ALL_YEARS, needs=["OfstedProviderLists"],
      message="Ofsted Unique reference number (URN) is not valid for the episode start date.")
def urn_closed_before_start(t) -> pd.Series:
    ep = t.Episodes
    return _real_urn(t) & (ep["DECOM"] >= _provider_value(t, "REG_END"))


@rule("228", "error", table="Episodes", fields=["URN", "DEC"], years=ALL_YEARS, needs=["OfstedProviderLists"],
      message="Ofsted Unique reference number (URN) is not valid for the episode end date [NOTE: may give "
              "false positives on open episodes at providers who close during the year]")
def urn_closed_before_end(t) -> pd.Series:
    ep = t.Episodes
    reg_end = _provider_value(t, "REG_END")
    closed_late = ep["DEC"] > reg_end
    open_after = _open(t) & (reg_end < t.collection_end)
    return _real_urn(t) & (closed_late | open_after)


@rule("229", "error", table="Episodes", fields=["URN", "PLACE_PROVIDER"], years=ALL_YEARS,
      needs=["OfstedProviderLists", "Postcodes", SUBMITTING_LA],
      message="Placement provider does not match between the placing authority and the local authority code "
              "of the provider. [NOTE: The provider's LA code is inferred from the its postcode, and may be "
              "inaccurate in some cases.]")
def provider_la_mismatch(t) -> pd.Series:
    # The submitting LA's ONS code is read from the postcode lookup (see _home_la); where it or the
    # provider's LA is unknown nothing is compared.
    ep = t.Episodes
    home = _home_la(t)
    provider_la = _provider_value(t, "PL_LA")
    scope = (_real_urn(t) & ~ep["PLACE"].isin(URN_EXEMPT[t.year] | {"K3"}) & present(provider_la)
             & (len(home) == 1))
    own = provider_la.isin(home)
    provider = ep["PLACE_PROVIDER"]
    return scope & (((provider == "PR1") & ~own) | ((provider == "PR2") & own))


@rule("233", "error", table="Episodes", fields=["REASON_PLACE_CHANGE"], years=NEXT_YEARS,
      message="Reason for placement change is not required when the episode has not ceased.")
def place_change_reason_on_open(t) -> pd.Series:
    ep = t.Episodes
    return present(ep["REASON_PLACE_CHANGE"]) & _open(t)


@rule("234", "error", table="Episodes", fields=["REASON_PLACE_CHANGE", "DOB"], years=NEXT_YEARS,
      needs=["Header"],
      message="A child aged under 10 can not change placement due to being admitted to custody")
def custody_under_10(t) -> pd.Series:
    ep = t.Episodes
    return (ep["REASON_PLACE_CHANGE"] == "CUSTOD") & (ep["DECOM"] < birthday(_dob(t), 10))


@rule("241", "error", table="Episodes", fields=["URN"], years=NEXT_YEARS, needs=["Postcodes", SUBMITTING_LA],
      message="LA of placement is not an LA the provider has premises.")
def supported_accommodation_out_of_area(t) -> pd.Series:
    # PL_LOCATION is PL_LA compared with the submitting LA; an unknown postcode is left to 169/179.
    ep = t.Episodes
    return (ep["PLACE"] == "K3") & _real_urn(t) & (ep["PL_LOCATION"] == "OUT")


@rule("242", "error", table="Episodes", fields=["URN"], years=NEXT_YEARS,
      message="URN = 'XXXXXXX' can only be used for regional adoption agencies")
def placeholder_urn_not_adoption(t) -> pd.Series:
    ep = t.Episodes
    return (ep["URN"] == NO_URN) & ~ep["PLACE"].isin(ADOPTION | FOSTER)


@rule("243", "error", table="Episodes", fields=["URN"], years=NEXT_YEARS, needs=["Postcodes"],
      message="Only placements with providers registered with Ofsted should have a URN reported.")
def urn_outside_england(t) -> pd.Series:
    # Any URN, the XXXXXXX placeholder included, is "a URN reported" (DfE: URN should be null).
    ep = t.Episodes
    return ep["PL_LA"].isin(OUTSIDE_ENGLAND) & present_in(t, "Episodes", "URN")


# ---------------------------------------------------------------- 302-359: dates, ages, first episodes

@rule("302", "error", table="Episodes", fields=["DECOM", "DOB"], years=ALL_YEARS, needs=["Header"],
      message="First episode starts before child was born.")
def first_episode_before_birth(t) -> pd.Series:
    ep = t.Episodes
    first = ep.groupby("CHILD", sort=False)["DECOM"].transform("min")
    return (ep["DECOM"] == first) & (ep["DECOM"] < _dob(t))


@rule("336", "error", table="Episodes", fields=["PLACE"], years=ALL_YEARS,
      message="Child does not have a foster placement immediately prior to being placed for adoption.")
def adoption_without_prior_foster(t) -> pd.Series:
    ep = _episodes_in_order(t)
    grouped = ep.groupby("CHILD", sort=False)
    prev_place = grouped["PLACE"].shift()
    not_first = grouped.cumcount() > 0
    fails = ep["PLACE"].isin(["A3", "A4"]) & not_first & ~prev_place.isin(ADOPTION | FOSTER)
    return _mask(fails, t.Episodes.index)


@rule("352", "error", table="Episodes", fields=["DECOM", "RNE"], years=ALL_YEARS, needs=["Header"],
      message="Child who started to be looked after was aged 18 or over.")
def started_care_aged_18(t) -> pd.Series:
    ep = t.Episodes
    return (ep["RNE"] == "S") & (ep["DECOM"] >= birthday(_dob(t), 18))


@rule("353", "error", table="Episodes", fields=["DECOM"], years=ALL_YEARS,
      message="No episode submitted can start before 14 October 1991.")
def started_before_children_act(t) -> pd.Series:
    return t.Episodes["DECOM"] < pd.Timestamp(1991, 10, 14)


@rule("354", "error", table="Episodes", fields=["DECOM"], years=ALL_YEARS,
      message="Date episode ceased must be on or before the end of the current collection year.")
def started_after_year_end(t) -> pd.Series:
    return t.Episodes["DECOM"] > t.collection_end


@rule("355", "error", table="Episodes", fields=["DECOM", "DEC"], years=ALL_YEARS,
      message="Episode appears to have lasted for less than 24 hours")
def episode_same_day(t) -> pd.Series:
    ep = t.Episodes
    return ep["DECOM"] == ep["DEC"]


@rule("356", "error", table="Episodes", fields=["DECOM"], years=ALL_YEARS,
      message="The date the episode ceased is before the date the same episode started.")
def episode_ends_before_start(t) -> pd.Series:
    ep = t.Episodes
    return ep["DEC"] < ep["DECOM"]


@rule("357", "error", table="Episodes", fields=["RNE"], years=ALL_YEARS,
      message="If this is the first episode ever for this child, reason for new episode must be S.  Check "
              "whether there is an episode immediately preceding this one, which has been left out.  If not "
              "the reason for new episode code must be amended to S.")
def first_episode_not_s(t) -> pd.Series:
    ep = t.Episodes
    first = ep.groupby("CHILD", sort=False)["DECOM"].transform("min")
    is_first = (ep["DECOM"] == first) & (ep["DECOM"] >= t.collection_start)
    return is_first & (ep["RNE"] != "S")


@rule("358", "error", table="Episodes", fields=["DECOM", "DOB", "LS"], years=ALL_YEARS, needs=["Header"],
      message="Child with this legal status should not be under 10.")
def youth_justice_under_10(t) -> pd.Series:
    # "Under 10 (or exactly 10 that day)": the 10th birthday itself still fails.
    ep = t.Episodes
    return ep["LS"].isin(["J1", "J2", "J3"]) & (ep["DECOM"] <= birthday(_dob(t), 10))


@rule("359", "error", table="Episodes", fields=["DEC", "LS", "PLACE"], years=ALL_YEARS, needs=["Header"],
      message="Child being looked after following 18th birthday must be accommodated under section 20(5) of "
              "the Children Act 1989 in a community home.")
def open_after_18(t) -> pd.Series:
    ep = t.Episodes
    turned_18 = birthday(_dob(t), 18) < t.collection_end
    s20_5 = (ep["LS"] == "V2") & (ep["PLACE"] == "K2")
    return turned_18 & _open(t) & ~s20_5


# ---------------------------------------------------------------- 361-367: legal-status durations, short breaks

@rule("361", "error", table="Episodes", fields=["DECOM", "LS", "DEC"], years=ALL_YEARS,
      message="Police protection legal status lasted longer than maximum 72 hours allowed in the Children "
              "Act 1989.")
def police_protection_too_long(t) -> pd.Series:
    return _run_longer_than(t, "L1", 3)


@rule("362", "error", table="Episodes", fields=["DECOM", "LS", "DEC"], years=ALL_YEARS,
      message="Emergency protection order (EPO) lasted longer than 21 days")
def epo_too_long(t) -> pd.Series:
    return _run_longer_than(t, "L2", 21)


@rule("363", "error", table="Episodes", fields=["LS", "DECOM", "DEC"], years=ALL_YEARS,
      message="Child assessment order (CAO) lasted longer than 7 days allowed in the Children Act 1989.")
def cao_too_long(t) -> pd.Series:
    return _run_longer_than(t, "L3", 7)


@rule("364", "error", table="Episodes", fields=["LS", "DECOM", "DEC"], years=ALL_YEARS,
      message="Sections 41-46 of Police and Criminal Evidence (PACE; 1984) severely limits the time a child "
              "can be detained in custody in Local Authority (LA) accommodation.")
def pace_too_long(t) -> pd.Series:
    return _run_longer_than(t, "J2", 21)


@rule("365", "error", table="Episodes", fields=["LS", "DECOM", "DEC"], years=ALL_YEARS,
      message="Any individual short- term respite placement must not exceed 17 days.")
def short_break_too_long(t) -> pd.Series:
    # An open episode is measured to the collection end on a Series; the shared table is never written.
    ep = t.Episodes
    return (ep["LS"] == "V3") & (_days(ep["DECOM"], _end(t)) > 17)


@rule("366", "error", table="Episodes", fields=["RNE"], years=ALL_YEARS,
      message="A child cannot change placement during the course of an individual short-term respite break.")
def short_break_placement_change(t) -> pd.Series:
    ep = t.Episodes
    return (ep["LS"] == "V3") & (ep["RNE"] != "S")


@rule("367", "error", table="Episodes", fields=["LS", "DECOM", "DEC"], years=ALL_YEARS,
      message="The maximum amount of respite care allowable is 75 days in any 12-month period.")
def short_breaks_over_75_days(t) -> pd.Series:
    # Days of each V3 episode inside the collection year (an open one runs to its end), summed per child.
    ep = t.Episodes
    start = ep["DECOM"].clip(lower=t.collection_start)
    stop = _end(t).clip(upper=t.collection_end)
    days = _days(start, stop)
    counted = (ep["LS"] == "V3") & (days > 0)
    total = days.where(counted).groupby(ep["CHILD"], sort=False).transform("sum")
    return counted & (total > 75)


# ---------------------------------------------------------------- 371-380: placement ages and temporary placements

@rule("371", "error", table="Episodes", fields=["DECOM", "PLACE"], years=ALL_YEARS, needs=["Header"],
      message="Child in supported accomodation not subject to children’s homes regulations should be at "
              "least 16.")
def supported_accommodation_under_16(t) -> pd.Series:
    # Open episodes are checked as well as closed ones (peer note).
    return _age_below(t, "K3", 16)


@rule("372", "error", table="Episodes", fields=["DECOM", "PLACE"], years=ALL_YEARS, needs=["Header"],
      message="Child in youth custody or prison should be at least 10.")
def custody_under_10_place(t) -> pd.Series:
    return _age_below(t, "R5", 10)


@rule("373", "error", table="Episodes", fields=["DECOM", "PLACE"], years=ALL_YEARS, needs=["Header"],
      message="Child placed in a school should be at least 4 years old.")
def school_under_4(t) -> pd.Series:
    return _age_below(t, "S1", 4)


@rule("374", "error", table="Episodes", fields=["DECOM", "PLACE"], years=ALL_YEARS, needs=["Header"],
      message="Child in residential employment should be at least 14 years old.")
def employment_under_14(t) -> pd.Series:
    return _age_below(t, "P3", 14)


@rule("375", "error", table="Episodes", fields=["DECOM", "PLACE"], years=ALL_YEARS,
      message="Hospitalisation coded as a temporary placement exceeds six weeks.")
def hospital_too_long(t) -> pd.Series:
    return _closed_longer_than(t, "T1", 42)


@rule("376", "error", table="Episodes", fields=["DECOM", "PLACE"], years=ALL_YEARS,
      message="Temporary placements coded as being due to holiday of usual foster carer(s) cannot exceed "
              "three weeks.")
def carer_holiday_too_long(t) -> pd.Series:
    return _closed_longer_than(t, "T3", 21)


@rule("377", "error", table="Episodes", fields=["PLACE"], years=ALL_YEARS,
      message="Only two temporary placements coded as being due to holiday of usual foster carer(s) are "
              "allowed in any 12- month period.")
def too_many_carer_holidays(t) -> pd.Series:
    # The return covers one collection year, so all T3 rows of a child are counted together.
    ep = t.Episodes
    t3 = ep["PLACE"] == "T3"
    count = t3.groupby(ep["CHILD"], sort=False).transform("sum")
    return t3 & (count > 2)


@rule("378", "error", table="Episodes", fields=["PLACE", "LS"], years=ALL_YEARS,
      message="A child who is placed with parent(s) cannot be looked after under a single period of "
              "accommodation under Section 20 of the Children Act 1989.")
def with_parents_under_s20(t) -> pd.Series:
    ep = t.Episodes
    return (ep["PLACE"] == "P1") & (ep["LS"] == "V2")


@rule("379", "error", table="Episodes", fields=["DECOM", "PLACE"], years=ALL_YEARS,
      message="Temporary placements for unspecified reason (placement code T4) cannot exceed seven days.")
def temporary_other_too_long(t) -> pd.Series:
    return _closed_longer_than(t, "T4", 7)


@rule("380", "error", table="Episodes", fields=["PLACE", "RNE"], years=ALL_YEARS,
      message="A period of care cannot start with a temporary placement.")
def care_starts_temporary(t) -> pd.Series:
    ep = t.Episodes
    return ep["PLACE"].isin(TEMPORARY) & ~ep["RNE"].isin(["P", "B"])
