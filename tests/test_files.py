"""CSV files people and other tools read: the header is the bare column names, values quoted only when
they must be, nothing lost either way."""

import pandas as pd

from statreturns.engine import ISSUE_COLUMNS
from statreturns.files import write_csv_atomic


def test_plain_values_are_not_quoted_and_the_header_is_exact(tmp_path):
    frame = pd.DataFrame([["cin", 2026, "8500", "error", "ChildIdentifiers", "LAchildID", "A1", 0, "Missing"]],
                         columns=ISSUE_COLUMNS)
    path = write_csv_atomic(frame, tmp_path / "issues.csv")
    assert path.read_text().splitlines() == [",".join(ISSUE_COLUMNS),
                                             "cin,2026,8500,error,ChildIdentifiers,LAchildID,A1,0,Missing"]


def test_values_with_commas_quotes_or_newlines_round_trip(tmp_path):
    frame = pd.DataFrame({"a": ['x, "y"', "line\nbreak", None], "b": ["1", "2", "3"]})
    path = write_csv_atomic(frame, tmp_path / "f.csv")
    assert path.read_text().splitlines()[0] == "a,b"
    back = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])
    assert back["a"].tolist()[:2] == ['x, "y"', "line\nbreak"] and pd.isna(back["a"][2])
