"""Loading Ofsted provider lists (synthetic workbooks) into the OfstedProviderLists frame."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook

from statreturns.ssda903.ofsted import OUTPUT_COLUMNS, OfstedListError, load_provider_lists
from statreturns.ssda903.postcodes import PostcodeDirectory, postcode_keys

HOMES = [
    ("Provider URN", "Provider type", "Sector", "Setting address postcode", "Date closed", "Places"),
    ("SC000001", "Children\u2019s home", "Private", "zz1 1aa", None, 4),
    ("SC000002", "Secure children's home", "Local Authority", "ZZ1 1AB", None, 8),
    (1000003, "Supported accommodation", "Voluntary", "ZZ99ZZ", "31/12/2025", None),
    ("2000004", "Independent fostering agency", "Private", None, dt.datetime(2025, 6, 30), None),
    ("2000005", "Residential special school (registered as a children's home)", "Voluntary", None, None, 2),
    (None, "Children's home", "Private", None, None, None),
]
SOCIAL_CARE = [
    ("URN", "Type of provider", "Ownership", "Postcode", "Registration end date"),
    ("SC000001", "Children's home", "Voluntary", "ZZ1 1AA", "2026-01-15"),
    ("2000004", "Independent fostering agency", "Private", None, None),
    ("3000006", "Adoption support agency", "Private", None, None),
]


def workbook(path, rows, title_rows=2, extra_sheet=True):
    book = Workbook()
    sheet = book.active
    sheet.title = "Providers"
    for i in range(title_rows):
        sheet.append([f"Title line {i}"])
    for row in rows:
        sheet.append(list(row))
    if extra_sheet:
        book.create_sheet("Notes").append(["Notes about this list"])
    book.save(path)
    return path


def tiny_directory() -> PostcodeDirectory:
    codes = pd.Series(["ZZ1 1AA", "ZZ1 1AB"], dtype=object)
    frame = pd.DataFrame(
        {"key": postcode_keys(codes), "easting": [1.0, 2.0], "northing": [1.0, 2.0],
         "LA": pd.Categorical(["E08000007", "E10000016"]), "LTLA": ["E08000007", "E07000105"]},
        index=pd.Index(codes, name="postcode"),
    )
    return PostcodeDirectory(frame.sort_values("key"))


@pytest.fixture
def lists(tmp_path):
    return [workbook(tmp_path / "homes.xlsx", HOMES),
            workbook(tmp_path / "providers.xlsx", SOCIAL_CARE, title_rows=0, extra_sheet=False)]


def test_columns_codes_and_dates(lists):
    out = load_provider_lists(lists[:1]).set_index("URN")
    assert list(load_provider_lists(lists[:1]).columns) == OUTPUT_COLUMNS
    assert out.index.tolist() == ["1000003", "2000004", "2000005", "SC000001", "SC000002"]
    assert out.loc["SC000001", "PLACE_CODES"] == "K2" and out.loc["SC000002", "PLACE_CODES"] == "K1"
    assert out.loc["1000003", "PLACE_CODES"] == "K3"
    assert out.loc["2000004", "PLACE_CODES"] == "U1,U2,U3,U4,U5,U6"
    assert out.loc["2000005", "PLACE_CODES"] == "K2,S1"
    assert out.loc["SC000002", "PROVIDER_CODES"] == "PR1,PR2"
    assert out.loc["1000003", "PROVIDER_CODES"] == "PR5"
    assert out["REG_END"].dtype == "datetime64[us]"
    assert out.loc["1000003", "REG_END"] == pd.Timestamp("2025-12-31")
    assert out.loc["2000004", "REG_END"] == pd.Timestamp("2025-06-30")
    assert pd.isna(out.loc["SC000001", "REG_END"])
    assert out.loc["SC000001", "POSTCODE"] == "ZZ1 1AA" and out.loc["1000003", "POSTCODE"] == "ZZ9 9ZZ"
    assert out["PL_LA"].isna().all()


def test_lists_merge_by_urn(lists):
    out = load_provider_lists(lists).set_index("URN")
    assert out.index.is_unique and len(out) == 6
    assert out.loc["SC000001", "PROVIDER_CODES"] == "PR4,PR5"
    assert pd.isna(out.loc["SC000001", "REG_END"])  # still registered in one list
    assert pd.isna(out.loc["2000004", "REG_END"])
    assert out.loc["3000006", "PLACE_CODES"] == "" and out.loc["3000006", "PROVIDER_CODES"] == "PR4"


def test_provider_la_from_the_postcode_directory(lists):
    out = load_provider_lists(lists[:1], directory=tiny_directory()).set_index("URN")
    assert out.loc["SC000001", "PL_LA"] == "E08000007" and out.loc["SC000002", "PL_LA"] == "E10000016"
    assert out.loc["1000003", "PL_LA"] is None


def test_workbook_without_a_provider_list_is_refused(tmp_path):
    path = workbook(tmp_path / "other.xlsx", [("Name", "Town"), ("A home", "Somewhere")])
    with pytest.raises(OfstedListError, match="other.xlsx"):
        load_provider_lists([path])
