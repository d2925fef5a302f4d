"""The shared rule helpers kept fast must still mean exactly what their plain pandas forms mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from schemas.rules.ssda903.base import birthday, by_child, header_value, ids, isin, shared
from statreturns.ssda903.tables import build_tables, per_value


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("years", [0, 1, 4, 14, 18, 100, -1, -4])
def test_birthday_is_dateoffset_years(unit: str, years: int) -> None:
    days = pd.date_range("1896-01-01", "2030-12-31", freq="D")
    with_time = days[::97] + pd.Timedelta(hours=13, minutes=5, seconds=7)
    values = pd.Series([*days, *with_time, pd.NaT, pd.Timestamp("2000-02-29"), pd.Timestamp("1900-02-28")])
    dob = values.astype(f"datetime64[{unit}]").set_axis(range(10, 10 + len(values))).rename("DOB")
    expected = dob + pd.DateOffset(years=years)
    pd.testing.assert_series_equal(birthday(dob, years), expected)


def test_birthday_29_february_falls_on_28_february_in_other_years() -> None:
    dob = pd.Series(pd.to_datetime(["2008-02-29", "2008-03-01", None]))
    assert birthday(dob, 1).tolist()[:2] == [pd.Timestamp("2009-02-28"), pd.Timestamp("2009-03-01")]
    assert birthday(dob, 4).tolist()[0] == pd.Timestamp("2012-02-29")
    assert pd.isna(birthday(dob, 4).iloc[2])


def test_per_value_matches_the_whole_column_conversion() -> None:
    s = pd.Series(["a ", None, "b", "a ", np.nan, "", "B"], dtype=object, index=[5, 3, 1, 0, 2, 4, 6])
    def convert(v: pd.Series) -> pd.Series:
        return v.astype("str").str.strip().str.upper().where(v.notna())
    (out,) = per_value(s, convert)
    pd.testing.assert_series_equal(out, convert(s))


def test_per_value_keeps_values_that_hash_alike_apart() -> None:
    s = pd.Series([1, 1.0, True, "1"], dtype=object)
    (out,) = per_value(s, lambda v: v.astype("str"))
    assert out.tolist() == ["1", "1.0", "True", "1"]


def test_isin_and_ids_agree_with_series_isin() -> None:
    s = pd.Series(["A", None, "B", "C", np.nan], dtype=object)
    for values in (pd.Series(["A", None, "C"], dtype=object), pd.Index(["C"]), pd.Series(["B"], dtype="str")):
        assert isin(s, values).tolist() == s.isin(pd.Series(values).dropna()).tolist()
    assert ids(["A", "B"]).dtype == object


def _tables():
    # As the readers give them: object columns of stripped strings, None where blank.
    header = pd.DataFrame({"CHILD": ["1", "2", "2", None], "DOB": ["01/01/2010", "02/02/2011", "03/03/2012", None]},
                          dtype=object)
    episodes = pd.DataFrame({"CHILD": ["2", "9", None, "1"], "DECOM": ["01/04/2025"] * 4}, dtype=object)
    return build_tables({"Header": header, "Episodes": episodes}, 2026)


def test_header_value_is_by_child_of_the_first_header_row() -> None:
    t = _tables()
    expected = by_child(t.Episodes["CHILD"], t.Header.set_index("CHILD")["DOB"])
    pd.testing.assert_series_equal(header_value(t, "Episodes", "DOB"), expected)
    assert header_value(t, "Episodes", "DOB").tolist()[:2] == [pd.Timestamp("2011-02-02"), pd.NaT]


def test_shared_helpers_are_built_once_and_read_only() -> None:
    t = _tables()
    calls = []

    @shared
    def children(t, name: str = "Header") -> pd.DataFrame:
        calls.append(name)
        return t[name][["CHILD"]]

    first = children(t)
    first["CHILD"] = "changed"  # a rule writing to what it was given changes its own copy only
    assert children(t, name="Header")["CHILD"].tolist() == ["1", "2", "2", None]
    assert calls == ["Header"]


def test_memos_are_dropped_when_a_table_is_replaced() -> None:
    t = _tables()
    assert header_value(t, "Episodes", "DOB").notna().sum() == 2
    t.frames["Header"] = t.Header.assign(DOB=pd.NaT)
    assert header_value(t, "Episodes", "DOB").notna().sum() == 0


def test_code_columns_are_categoricals_shared_across_years_with_the_text_values() -> None:
    from statreturns import dates

    now = pd.DataFrame({"CHILD": ["1", "2", "3"], "LS": [" c2", None, "V3 "], "REC": ["e11", "", None]}, dtype=object)
    last = pd.DataFrame({"CHILD": ["1"], "LS": ["J1"], "REC": [None]}, dtype=object)
    t = build_tables({"Episodes": now}, 2026, previous={"Episodes": last})
    for col in ("LS", "REC"):
        assert isinstance(t.Episodes[col].dtype, pd.CategoricalDtype)
        assert t.Episodes[col].dtype == t.Episodes_last[col].dtype
        expected = dates.text(now[col], upper=True)
        assert t.Episodes[col].astype(object).where(t.Episodes[col].notna(), None).tolist() == expected.tolist()
    assert list(t.Episodes["LS"].cat.categories) == ["C2", "J1", "V3"]
    assert (t.Episodes["LS"] == t.Episodes_last["LS"].reindex(t.Episodes.index)).tolist() == [False] * 3


@pytest.mark.parametrize("keys", [
    pd.Series(["b", None, "a", "zz", "b", np.nan], dtype=object, index=[9, 8, 7, 6, 5, 4]),
    pd.Series([1, "a", 2.0], dtype=object),  # not all strings: looked up the pandas way
    pd.Series([], dtype=object),
])
def test_by_child_is_a_reindex_on_the_first_row_of_each_id(keys: pd.Series) -> None:
    values = pd.Series([10, 20, 30, 40], index=pd.Index(["a", "b", "a", None], dtype=object), name="N")
    first = values[[True, True, False, False]]
    expected = first.reindex(keys.to_numpy()).set_axis(keys.index)
    pd.testing.assert_series_equal(by_child(keys, values), expected)
    dates = pd.Series(pd.to_datetime(["2020-01-01", "2021-01-01"]), index=pd.Index(["a", "b"], dtype=object))
    pd.testing.assert_series_equal(by_child(keys, dates), dates.reindex(keys.to_numpy()).set_axis(keys.index))


def test_child_codes_match_ids_across_tables_and_are_read_only() -> None:
    from schemas.rules.ssda903.base import child_codes

    t = _tables()
    codes = child_codes(t)
    header, episodes = codes["Header"], codes["Episodes"]
    assert header[1] == header[2] == episodes[0] and header[0] == episodes[3]
    assert header[3] == -1 and episodes[2] == -1 and episodes[1] not in set(header)
    with pytest.raises(ValueError):
        episodes[0] = 5
