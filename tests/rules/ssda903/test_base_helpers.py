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


@pytest.mark.parametrize("unit", ["s", "us"])
@pytest.mark.parametrize("years", [0, 3, 18, 250, -2, -250])
def test_birthday_is_dateoffset_years_beyond_the_calendar_table(unit: str, years: int) -> None:
    # Days and birthdays outside the years the lookup table holds are worked out by the formulas.
    days = pd.date_range("1599-12-01", "1606-03-31", freq="D").append(pd.date_range("2148-12-01", "2405-03-31",
                                                                                    freq="13D"))
    dob = pd.Series([*days, pd.NaT, pd.Timestamp("1600-02-29 06:00")]).astype(f"datetime64[{unit}]").rename("DOB")
    pd.testing.assert_series_equal(birthday(dob, years), dob + pd.DateOffset(years=years))


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


def _episodes_tables():
    raw = {"Episodes": pd.DataFrame({
        "CHILD": ["b", "a", None, "b", "a", "c", "b", "a", "c", "d"],
        "DECOM": ["01/05/2025", "01/06/2025", "01/01/2025", "01/05/2025", "02/02/2025", "bad", "03/03/2024",
                  "01/06/2025", "01/07/2025", None],
    }, dtype=object)}
    return build_tables(raw, 2026)


def test_episode_edges_and_latest_of_match_their_sorted_forms() -> None:
    from schemas.rules.ssda903.base import episode_edges
    from schemas.rules.ssda903.outcomes import latest_episodes, latest_of

    t = _episodes_tables()
    ep = t.Episodes
    known = ep.loc[ep["CHILD"].notna() & ep["DECOM"].notna()]
    by_order = known.sort_values(["CHILD", "DECOM"], kind="stable")
    first = by_order.drop_duplicates("CHILD", keep="first").index
    last = by_order.drop_duplicates("CHILD", keep="last").index
    assert episode_edges(t, "Episodes", last=False).tolist() == first.tolist() == [4, 6, 8]
    assert episode_edges(t, "Episodes", last=True).tolist() == last.tolist() == [7, 3, 8]
    pd.testing.assert_frame_equal(latest_of(t, "Episodes"), latest_episodes(ep))


def test_sw_not_covering_care_matches_every_pair_test() -> None:
    from schemas.rules.ssda903.adoption import pairs_any
    from schemas.rules.ssda903.social_workers import sw_not_covering_care

    raw = {
        "Episodes": pd.DataFrame({
            "CHILD": ["a", "a", "b", "c", None, "d"], "DECOM": ["01/05/2025", "01/09/2025", "01/06/2025",
                                                              "01/06/2025", "01/06/2025", "01/06/2025"],
            "DEC": ["31/08/2025", None, "01/12/2025", "01/01/2026", "01/01/2026", "01/02/2026"],
            "RNE": ["S", "P", "S", "S", "S", "S"], "REC": [None, None, "E11", "E11", "E11", "E11"],
            "LS": ["C2"] * 6}, dtype=object),
        "SWEpisodes": pd.DataFrame({
            "CHILD": ["a", "a", "b", "c", None, "d"],
            "SW_DECOM": ["01/05/2025", "01/10/2025", "02/12/2025", "bad", "01/06/2025", "01/05/2025"]},
            dtype=object),
    }
    t = build_tables(raw, 2026)
    ep = t.Episodes
    in_window = ep["DEC"].isna() | ep["DEC"].between(pd.Timestamp(2024, 4, 1), t.collection_end)
    starts = in_window & ep["RNE"].eq("S")
    ends = in_window & ep["REC"].notna() & ep["REC"].ne("X1")
    spans, sw = ep[["CHILD", "DECOM", "DEC"]], t.SWEpisodes[["CHILD", "SW_DECOM"]]
    covered_start, covered_end = pairs_any(spans, sw, [lambda m: m["SW_DECOM"] >= m["DECOM"],
                                                      lambda m: m["SW_DECOM"] <= m["DEC"]])
    expected = (starts & ~covered_start) | (ends & ~covered_end)
    assert expected.any() and not expected.all()
    pd.testing.assert_series_equal(sw_not_covering_care(t), expected, check_names=False)


@pytest.mark.parametrize("ids", [
    ["1", " 2", "2", None, "", "a", "A"],  # ids that differ only in white space are one child
    [1, "2", "2", None, 2.0, "1", "x"],  # not all strings: the codes are worked out from the tables
])
def test_child_codes_from_the_build_match_a_fresh_factorisation(ids: list) -> None:
    from statreturns.ssda903 import tables

    header = pd.DataFrame({"CHILD": ids}, dtype=object)
    episodes = pd.DataFrame({"CHILD": ids[::-1], "DECOM": ["01/04/2025"] * len(ids)}, dtype=object)
    t = build_tables({"Header": header, "Episodes": episodes}, 2026, previous={"Header": header.head(3)})
    built = t.child_codes()
    fresh = tables.child_codes(t.frames)
    assert set(built) == set(fresh) == {"Header", "Episodes", "Header_last"}
    a = np.concatenate([built[n] for n in sorted(built)])
    b = np.concatenate([fresh[n] for n in sorted(fresh)])
    assert ((a[:, None] == a[None, :]) == (b[:, None] == b[None, :])).all() and ((a < 0) == (b < 0)).all()
    assert (a < 0).any()


@pytest.mark.parametrize("how", ["min", "max"])
@pytest.mark.parametrize("masked", [False, True])
def test_child_stat_is_by_child_of_per_child(how: str, masked: bool) -> None:
    from schemas.rules.ssda903.adoption import per_child
    from schemas.rules.ssda903.base import child_stat

    raw = {
        "Episodes": pd.DataFrame({
            "CHILD": ["a", "a", "b", None, "c", "c", "d"],
            "DECOM": ["01/05/2025", "03/03/2024", "bad", "01/01/2025", "01/06/2025", "02/06/2025", "01/01/2020"],
            "RNE": ["S", "P", "S", "S", "P", "S", "P"]}, dtype=object),
        "AD1": pd.DataFrame({"CHILD": ["c", "a", None, "x", "b", "d"]}, dtype=object),
    }
    t = build_tables(raw, 2026)
    where = t.Episodes["RNE"].eq("S") if masked else None
    expected = by_child(t.AD1["CHILD"], per_child(t.Episodes, "DECOM", how, where))
    got = child_stat(t, "Episodes", "DECOM", how, "AD1", where)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert got.notna().any() and got.isna().any()


@pytest.mark.parametrize("masked", [False, True])
def test_child_in_is_isin_without_blanks(masked: bool) -> None:
    from schemas.rules.ssda903.base import child_in

    raw = {
        "Header": pd.DataFrame({"CHILD": ["a", "b", None, "c", "d", "a"]}, dtype=object),
        "Episodes": pd.DataFrame({"CHILD": ["b", None, "a", "x", "c"], "LS": ["V3", "C2", "V3", "C2", "C2"],
                                  "DECOM": ["01/05/2025"] * 5}, dtype=object),
    }
    t = build_tables(raw, 2026)
    where = t.Episodes["LS"].eq("V3") if masked else None
    theirs = t.Episodes["CHILD"] if where is None else t.Episodes.loc[where, "CHILD"]
    expected = isin(t.Header["CHILD"], theirs)
    pd.testing.assert_series_equal(child_in(t, "Header", "Episodes", where), expected, check_names=False)
    assert expected.any() and not expected.all()


def test_ordered_is_a_stable_sort_on_child_then_date() -> None:
    from schemas.rules.ssda903.social_workers import ordered

    frame = pd.DataFrame({
        "CHILD": ["b", "a", None, "b", "a10", "a", "a2", "b"],
        "SW_DECOM": pd.to_datetime(["2025-05-01", "2025-06-01", "2025-01-01", "2025-05-01", "2024-01-01",
                                    None, "2025-06-01", "2024-12-31"]),
    }, index=[7, 6, 5, 4, 3, 2, 1, 0])
    frame["CHILD"] = frame["CHILD"].astype(object)
    expected = frame[frame["CHILD"].notna() & frame["SW_DECOM"].notna()].sort_values(["CHILD", "SW_DECOM"],
                                                                                      kind="stable")
    pd.testing.assert_frame_equal(ordered(frame, "SW_DECOM"), expected)
    assert ordered(frame, "SW_DECOM").index.tolist() == [6, 3, 1, 0, 7, 4]


def test_pairs_on_child_codes_match_pairs_on_ids() -> None:
    from schemas.rules.ssda903.base import child_codes
    from schemas.rules.ssda903.header import pairs, table_codes

    raw = {
        "Missing": pd.DataFrame({"CHILD": ["b", None, "a", "x", "a", "b"],
                                 "MIS_START": ["01/05/2025", "01/05/2025", "02/05/2025", "01/06/2025", None,
                                               "03/05/2025"]}, dtype=object),
        "Episodes": pd.DataFrame({"CHILD": ["a", "b", None, "a", "c", "b"],
                                  "DECOM": ["01/04/2025", "01/03/2025", "01/01/2025", "01/02/2025", "01/05/2025",
                                            "09/09/2024"]}, dtype=object),
    }
    t = build_tables(raw, 2026)
    m = t.Missing.loc[t.Missing["MIS_START"].notna()]
    expected = pairs(m, ["MIS_START"], t.Episodes, ["DECOM"])
    codes = table_codes(t, "Missing", m), child_codes(t)["Episodes"]
    got = pairs(m, ["MIS_START"], t.Episodes, ["DECOM"], codes)
    pd.testing.assert_frame_equal(got, expected)
    assert len(expected) == 6 and expected["_row"].tolist() == [0, 0, 2, 2, 5, 5]


def test_same_child_is_groupby_cumcount_on_the_ordered_rows() -> None:
    from schemas.rules.ssda903.social_workers import _same_child, ordered_sw

    raw = {"SWEpisodes": pd.DataFrame({
        "CHILD": ["b", "a", None, "b", "a", "c", "b"],
        "SW_DECOM": ["01/05/2025", "01/06/2025", "01/01/2025", "01/04/2025", "02/02/2025", "01/07/2025", None],
    }, dtype=object)}
    t = build_tables(raw, 2026)
    f = ordered_sw(t)
    before, after = _same_child(t)
    g = f.groupby("CHILD", sort=False)
    assert before.tolist() == (g.cumcount() > 0).tolist()
    assert after.tolist() == (g.cumcount(ascending=False) > 0).tolist()
    assert before.any() and after.any() and not before.all()
    with pytest.raises(ValueError):
        before[0] = True


def test_tables_converted_together_are_as_each_table_converted_alone() -> None:
    from statreturns.ssda903.tables import prepare

    header = pd.DataFrame({"CHILD": [" a1", "A2", None, "a1"], "DOB": ["01/01/2010", " 31/02/2011", "", "x"],
                           "SEX": ["1", " 2", None, "1 "], "ETHNIC": ["wbri", "WBRI ", "", None],
                           "UPN": ["a123", None, " b", ""], "MC_DOB": [None, "", " ", None]}, dtype=object)
    episodes = pd.DataFrame({"CHILD": ["a1", "A2", "a3", None], "DECOM": ["01/04/2025", "02/04/2025 ", "bad", None],
                             "DEC": [None, "01/04/2025", "", "29/02/2024"], "RNE": ["s", "P", " ", None],
                             "PL_POST": ["ab1 2cd", " AB1 2CD", None, ""], "URN": [1, "x", None, "2"],
                             "PLACE": ["u1", "U1", "Z11", None]}, dtype=object)
    last = episodes.iloc[[2, 0]].set_index(pd.Index([7, 3]))
    tables = build_tables({"Header": header, "Episodes": episodes}, 2026, previous={"Episodes": last})
    for name, frame in (("Header", header), ("Episodes", episodes), ("Episodes_last", last)):
        alone = prepare(name, frame)
        built = tables[name][alone.columns]
        for col in alone.columns:  # categories are shared across tables when built together
            if isinstance(alone[col].dtype, pd.CategoricalDtype):
                alone[col] = alone[col].cat.set_categories(built[col].cat.categories)
        pd.testing.assert_frame_equal(built, alone, check_exact=True)


@pytest.mark.parametrize("masked", [False, True])
def test_child_value_is_by_child_of_the_first_row(masked: bool) -> None:
    from schemas.rules.ssda903.base import child_value

    raw = {
        "Header": pd.DataFrame({"CHILD": ["a", "b", None, "c", "d", "a"]}, dtype=object),
        "Episodes": pd.DataFrame({"CHILD": ["b", None, "a", "x", "c", "a", "b"],
                                  "LS": ["V3", "C2", "C2", "C2", "V3", "V3", "V3"],
                                  "DECOM": ["01/05/2025", "01/06/2025", "02/05/2025", "01/01/2025", "03/05/2025",
                                            "04/05/2025", "05/05/2025"]}, dtype=object),
    }
    t = build_tables(raw, 2026)
    where = t.Episodes["LS"].eq("V3") if masked else pd.Series(True, index=t.Episodes.index)
    expected = by_child(t.Header["CHILD"], t.Episodes.loc[where].set_index("CHILD")["DECOM"])
    got = child_value(t, "Header", "Episodes", "DECOM", where if masked else None)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert got.notna().sum() == 4 and got.isna().sum() == 2


def test_merge_on_child_is_an_inner_merge_on_the_ids() -> None:
    from schemas.rules.ssda903.adoption import _merge_on_child

    left = pd.DataFrame({"CHILD": np.array(["b", None, "a", "x", "a", "b"], dtype=object),
                         "DATE_PLACED": pd.to_datetime(["2025-01-0" + str(i) for i in range(1, 7)]),
                         "K": pd.Categorical(["x", "y", "x", "x", "y", "y"])}, index=[9, 4, 7, 1, 3, 0])
    right = pd.DataFrame({"CHILD": np.array(["a", "b", "c", "a", "b"], dtype=object),
                          "DATE_PLACED": pd.to_datetime(["2025-01-03", "2025-02-01", "2025-01-01", "2025-01-05",
                                                         "2025-01-01"]),
                          "R": ["u", None, "v", "w", "u"]}, index=[5, 2, 8, 6, 1])
    expected = left.reset_index(names="_row").merge(right, on="CHILD", suffixes=("", "_r"))
    got = _merge_on_child(left.reset_index(names="_row"), right)
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) == 8 and "DATE_PLACED_r" in got.columns


def test_care_periods_on_arrays_match_the_grouped_form() -> None:
    from schemas.rules.ssda903.base import child_codes
    from schemas.rules.ssda903.header import _care_periods_grouped, care_periods

    raw = {"Episodes": pd.DataFrame({
        "CHILD": ["b", "a", None, "b", "a", "c", "b", "a", "c", "a"],
        "DECOM": ["01/05/2025", "01/06/2025", "01/01/2025", "01/05/2024", "02/02/2025", "bad", "03/03/2024",
                  "01/10/2025", "01/07/2025", "10/09/2025"],
        "DEC": ["02/06/2025", "01/09/2025", None, "01/05/2025", "01/06/2025", None, "01/04/2025", None, None,
                "11/09/2025"],
    }, dtype=object)}
    t = build_tables(raw, 2026)
    ep, codes = t.Episodes, child_codes(t)["Episodes"]
    keep = ep["DECOM"].notna() & ep["CHILD"].notna()
    ordered = ep.loc[keep, ["CHILD", "DECOM", "DEC"]].sort_values(["CHILD", "DECOM"], kind="stable")
    expected = _care_periods_grouped(ordered, codes[ordered.index.to_numpy()])
    pd.testing.assert_frame_equal(care_periods(ep, codes), expected)
    pd.testing.assert_frame_equal(care_periods(ep.drop(columns="EPISODE_ORDER")), expected.drop(columns="_code"))
    assert expected["END"].isna().sum() == 2 and len(expected) == 5
