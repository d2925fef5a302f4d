"""The installation cache of read Ofsted provider lists: the same frame as reading the workbooks, read
again when a workbook changes, and a damaged cache file is never trusted."""

from __future__ import annotations

import pandas as pd

from statreturns.ssda903 import ofsted
from statreturns.ssda903.ofsted import cached_provider_lists, load_provider_lists
from tests.ssda903.test_ofsted import HOMES, SOCIAL_CARE, tiny_directory, workbook


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for col in a.columns:  # None stays None (not NaN), strings stay str, NaT stays NaT
        assert [type(v) for v in a[col]] == [type(v) for v in b[col]], col


def test_cached_read_equals_a_fresh_read(tmp_path):
    paths = [workbook(tmp_path / "homes.xlsx", HOMES),
             workbook(tmp_path / "providers.xlsx", SOCIAL_CARE, title_rows=0, extra_sheet=False)]
    fresh = load_provider_lists(paths, tiny_directory())
    assert fresh["POSTCODE"].isna().any() and fresh["REG_END"].isna().any()  # the cases worth a round trip
    first = cached_provider_lists(paths, tiny_directory(), tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.parquet"))) == 1
    second = cached_provider_lists(paths, tiny_directory(), tmp_path / "cache")
    _same(fresh, first)
    _same(fresh, second)
    # PL_LA comes from the directory of this call, not from the cache
    assert cached_provider_lists(paths, None, tmp_path / "cache")["PL_LA"].isna().all()


def test_a_changed_workbook_is_read_again(tmp_path, monkeypatch):
    path = workbook(tmp_path / "homes.xlsx", HOMES)
    cached_provider_lists([path], None, tmp_path / "cache")
    workbook(path, HOMES[:3])
    expected = load_provider_lists([path])
    reads = []
    real = ofsted._read_lists
    monkeypatch.setattr(ofsted, "_read_lists", lambda paths: reads.append(1) or real(paths))
    got = cached_provider_lists([path], None, tmp_path / "cache")
    assert reads == [1]
    _same(expected, got)
    cached_provider_lists([path], None, tmp_path / "cache")
    assert reads == [1]  # now served from the cache


def test_a_damaged_cache_file_is_read_from_the_workbook(tmp_path):
    path = workbook(tmp_path / "homes.xlsx", HOMES)
    cached_provider_lists([path], None, tmp_path / "cache")
    (cached,) = (tmp_path / "cache").glob("*.parquet")
    cached.write_bytes(b"not parquet")
    _same(load_provider_lists([path]), cached_provider_lists([path], None, tmp_path / "cache"))
    _same(load_provider_lists([path]), cached_provider_lists([path], None, tmp_path / "cache"))  # rewritten


def test_an_unwritable_cache_folder_still_reads(tmp_path):
    path = workbook(tmp_path / "homes.xlsx", HOMES)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _same(load_provider_lists([path]), cached_provider_lists([path], None, blocker / "cache"))
