"""File and sheet names from extracts are data too (issue #17): they never become paths as they are,
and reports show them escaped.

:func:`landed_name` makes one safe path component of a name (the landed copy's file name; the original
stays in the register); :func:`shown` is the name as reports, quarantine files and messages print it:
control characters (newline, NUL, CR, tab, DEL, C1, Unicode line separators and bidi overrides) as
``\\xNN``/``\\uNNNN``, and a very long name cut with its length stated.
"""

from __future__ import annotations

import hashlib
import re

MAX_SHOWN = 120
MAX_LANDED_BYTES = 120
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff<>:"|?*\\/]')
_CUT = re.compile(r"^…\(\d+ chars\)$")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def _escape(match: re.Match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(name: object, limit: int = MAX_SHOWN) -> str:
    """The name as people see it: controls escaped, at most ``limit`` characters (then ``…(N chars)``)."""
    text = _CONTROL.sub(_escape, str(name))
    if len(text) > limit and not _CUT.search(text[limit:]):  # a name already cut is not cut again
        text = f"{text[:limit]}…({len(str(name))} chars)"
    return text


def landed_name(name: str) -> str:
    """One safe file name for ``name``: no folder part, no control or reserved characters, no leading dot,
    not a device name, at most MAX_LANDED_BYTES bytes of UTF-8 (the suffix kept). A name that had to change
    gets a short hash of the original, so two different names never land under the same name."""
    base = re.split(r"[\\/]", name)[-1]
    safe = _UNSAFE.sub("_", base).strip(" .")
    if not safe:
        safe = "file"
    if _RESERVED.match(safe):
        safe = f"_{safe}"
    stem, dot, suffix = safe.rpartition(".")
    if not dot or not 0 < len(suffix) <= 10:
        stem, suffix = safe, ""
    if safe != name or len(safe.encode("utf-8")) > MAX_LANDED_BYTES:
        tag = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        room = MAX_LANDED_BYTES - len(suffix.encode()) - len(tag) - 2
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .") or "file"
        stem = f"{stem}~{tag}"
    return f"{stem}.{suffix}" if suffix else stem
