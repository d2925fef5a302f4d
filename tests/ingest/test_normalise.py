"""Value rules: dates in the formats these systems emit, flags, identifiers, code maps, the duplicate rule."""

import pandas as pd
import pytest

from statreturns.ingest import normalise
from statreturns.ingest.profiles import code_maps, norm_header


@pytest.mark.parametrize("raw", ["2024-01-05", "05/01/2024", "5/1/2024", "05-01-2024", "05.01.2024", "2024/01/05",
                                 "20240105", "05-Jan-2024", "5 Jan 2024", "5 January 2024", "2024-01-05T00:00:00",
                                 "05/01/2024 00:00:00", "2024-01-05 13:45:10", "2024-01-05T00:00:00Z", "45296",
                                 " 05/01/2024 "])
def test_dates_in_every_format(raw):
    parsed, bad = normalise.parse_dates(pd.Series([raw], dtype="object"))
    assert parsed.iloc[0] == pd.Timestamp("2024-01-05") and not bad.iloc[0]


@pytest.mark.parametrize("raw", ["31/02/2024", "01/02/10", "13/13/2024", "not a date", "1066-04-13", "2024-1"])
def test_impossible_or_ambiguous_dates_are_flagged(raw):
    parsed, bad = normalise.parse_dates(pd.Series([raw], dtype="object"))
    assert pd.isna(parsed.iloc[0]) and bad.iloc[0]


def test_blank_dates_are_missing_not_bad():
    parsed, bad = normalise.parse_dates(pd.Series([None, "", "  "], dtype="object"))
    assert parsed.isna().all() and not bad.any()


def test_flags_ids_and_codes():
    flags, bad = normalise.parse_flags(pd.Series(["Yes", "n", "TRUE", "0", "maybe", None], dtype="object"))
    assert flags.tolist()[:4] == [True, False, True, False] and bad.tolist() == [False] * 4 + [True, False]
    assert normalise.ids(pd.Series([" ab12 ", "", None], dtype="object")).tolist() == ["AB12", None, None]
    maps = code_maps()
    codes, unknown = normalise.map_codes(pd.Series(["wsco", "APKN", "XXXX", None], dtype="object"),
                                         maps["ethnicity-extended"])
    assert codes.tolist() == ["WBRI", "APKN", None, None] and unknown.tolist() == [False, False, True, False]
    sex, unknown = normalise.map_codes(pd.Series(["1", "female", "9"], dtype="object"), maps["sex-local"])
    assert sex.tolist() == ["M", "F", "U"] and not unknown.any()


def test_every_main_ethnicity_code_maps_to_itself():
    from statreturns.reference import code_list

    mapping = code_maps()["ethnicity-extended"]
    assert all(mapping[c] == c for c in code_list("common", "ethnicity"))
    assert set(mapping.values()) == set(code_list("common", "ethnicity"))


def test_duplicate_rule_keeps_the_last_row():
    frame = pd.DataFrame({"k": ["A", "B", "A", None, None]})
    assert normalise.superseded(frame, ["k"]).tolist() == [True, False, False, False, False]


def test_headers_match_ignoring_case_spaces_and_sims_escapes():
    assert norm_header("Legal_x0020_Surname") == norm_header("legal surname") == norm_header(" LEGAL_SURNAME ")
