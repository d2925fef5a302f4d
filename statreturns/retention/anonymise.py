"""Column methods for anonymising (and minimising) records.

Every method is idempotent: applying it to its own output changes nothing, so a rerun after a crash, or
a second apply, leaves the data as it is. Note that a keyed pseudonym is still personal data for whoever
holds the key, and month-of-birth or postcode sector is minimisation, not anonymisation (domain 1.5).
"""

from __future__ import annotations

import hashlib
import os

import pandas as pd

PSEUDONYM_PREFIX = "ps_"
KEY_ENV = "STATRETURNS_PSEUDONYM_KEY"
METHODS_NEED_KEY = ("hmac",)
# Computed in Python once per distinct value and written back through a mapping table: the keyed HMAC
# (the key is a secret and never goes to the database) and postcodes (a pattern SQLite cannot match).
MAPPED = ("hmac", "postcode_sector", "postcode_district")
_POSTCODE = r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])[A-Z]{2}$"


class MissingKeyError(RuntimeError):
    """Anonymising needs the pseudonym key and it is not set."""


def pseudonym_key() -> bytes:
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise MissingKeyError(f"{KEY_ENV} is not set: plans that anonymise or pseudonymise refuse to run")
    return key.encode("utf-8")


_BLOCK = 64  # SHA-256's block size


def _hmac_states(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256's inner and outer hashes with the padded key already absorbed (RFC 2104): copying them
    per value costs about half of a whole ``hmac.digest`` call (most of it is hashing the key's block)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _hmac_hex(texts: list[str], key: bytes) -> list[str]:
    """``hmac.digest(key, text, "sha256")[:16].hex()`` of each text, prefixed."""
    inner, outer = _hmac_states(key)
    out = []
    for t in texts:
        i = inner.copy()
        i.update(t.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        out.append(PSEUDONYM_PREFIX + o.digest()[:16].hex())
    return out


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed HMAC-SHA256 pseudonyms (first 128 bits, hex), prefixed so they are never hashed twice."""
    uniq = pd.unique(values.astype(object))
    missing = pd.isna(uniq)
    texts = [str(v) for v in uniq]
    todo = [t for t, gone in zip(texts, missing, strict=True) if not gone and not t.startswith(PSEUDONYM_PREFIX)]
    hashed = dict(zip(todo, _hmac_hex(todo, key), strict=True))
    new = [None if gone else hashed.get(t, t) for t, gone in zip(texts, missing, strict=True)]
    lookup = pd.Series(new, index=pd.Index(uniq, dtype=object), dtype=object)
    return pd.Series(lookup.reindex(values.astype(object)).to_numpy(), index=values.index, dtype=object)


def _postcode(values: pd.Series, district_only: bool) -> pd.Series:
    text = values.astype(object).where(values.notna(), None)
    norm = text.str.upper().str.replace(r"\s+", " ", regex=True).str.strip()
    parts = norm.str.extract(_POSTCODE)
    cut = parts[0] if district_only else parts[0] + " " + parts[1]
    # a value that is not a full postcode (already cut, or malformed) keeps only its outward part
    fallback = norm.str.split(" ").str[0] if district_only else norm
    return cut.where(parts[0].notna(), fallback).astype(object).where(text.notna(), None)


def _date(values: pd.Series, unit: str) -> pd.Series:
    dates = pd.to_datetime(values)
    out = dates.dt.to_period("M" if unit == "month" else "Y").dt.start_time
    return out.dt.date.astype(object).where(dates.notna(), None)


def apply_method(values: pd.Series, method: str, key: bytes | None) -> pd.Series:
    if method == "keep":
        return values
    if method in ("null", "drop"):
        return pd.Series([None] * len(values), index=values.index, dtype=object)
    if method in ("month", "year"):
        return _date(values, method)
    if method in ("postcode_sector", "postcode_district"):
        return _postcode(values, method == "postcode_district")
    if method == "hmac":
        if key is None:
            raise MissingKeyError(f"{KEY_ENV} is not set")
        return pseudonymise(values, key)
    raise ValueError(f"unknown anonymisation method {method!r}")


def anonymise_frame(frame: pd.DataFrame, methods: dict[str, str], key: bytes | None) -> pd.DataFrame:
    out = frame.copy()
    for col, method in methods.items():
        if col in out.columns:
            out[col] = apply_method(out[col], method, key)
    return out


def sql_method(dialect: str, column: str, method: str) -> str | None:
    """The SQL expression that applies a method the database can compute itself to ``column`` (the same
    result as ``apply_method``); None for ``keep`` and the ``MAPPED`` methods."""
    col = f'"{column}"'
    if method in ("null", "drop"):
        return "NULL"
    if method in ("month", "year"):
        if dialect == "postgresql":
            return f"CAST(date_trunc('{method}', CAST({col} AS TIMESTAMP)) AS DATE)"
        return f"date({col}, 'start of {method}')"
    if method == "keep" or method in MAPPED:
        return None
    raise ValueError(f"unknown anonymisation method {method!r}")
