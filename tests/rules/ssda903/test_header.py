from schemas.rules.ssda903 import LAC
from tests.rules.helpers import failing_rows, lac_tables


def test_102_fires_on_blank_and_unparseable_dob():
    t = lac_tables(2026, Header=[{"CHILD": "1", "DOB": "31/02/2015"}, {"CHILD": "2", "DOB": None},
                                 {"CHILD": "3", "DOB": "01/04/2015"}])
    assert failing_rows(LAC, "102", t) == [0, 1]
