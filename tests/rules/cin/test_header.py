from schemas.rules.cin import CIN
from tests.rules.helpers import cin_tables, failing_rows


def test_100_fires_on_wrong_or_missing_reference_date():
    t = cin_tables(2026, Header=[{"ReferenceDate": "2026-03-30"}])
    assert failing_rows(CIN, "100", t) == [0]
    t = cin_tables(2026, Header=[{"ReferenceDate": None}])
    assert failing_rows(CIN, "100", t) == [0]
    t = cin_tables(2026, Header=[{"ReferenceDate": "31/03/2026"}])  # not a date in the XSD's form
    assert failing_rows(CIN, "100", t) == [0]


def test_100_passes_on_31_march_of_the_collection_year():
    t = cin_tables(2026, Header=[{"ReferenceDate": "2026-03-31"}])
    assert failing_rows(CIN, "100", t) == []
