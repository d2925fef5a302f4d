"""Unique Pupil Numbers: the check letter (GovTalk UPN v2.0, domain.md 3.1), vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S
_WEIGHTS = np.arange(2, 14)  # weights 2..13 for characters 2..13


def _char_values(chars: np.ndarray) -> np.ndarray:
    """Digits count as themselves; a letter in position 13 counts as its index in CHECK_ALPHABET."""
    # The width from the dtype, not -1: an empty array (no UPN to check) cannot infer it.
    codes = chars.view(np.uint32).reshape(len(chars), chars.dtype.itemsize // 4)
    digit = (codes >= 48) & (codes <= 57)
    values = np.where(digit, codes - 48, 0).astype(np.int64)
    lookup = np.full(128, -1, dtype=np.int64)
    for i, letter in enumerate(CHECK_ALPHABET):
        lookup[ord(letter)] = i
    letters = lookup[np.clip(codes, 0, 127)]
    return np.where(digit, values, np.where(letters >= 0, letters, 0))


def check_letters(body: pd.Series) -> pd.Series:
    """The check letter for each 12-character UPN body (characters 2-13)."""
    if body.empty:  # reshape(0, -1) below cannot infer a width
        return pd.Series([], index=body.index, dtype="object")
    arr = body.astype("str").to_numpy(dtype="U12")
    values = _char_values(arr)
    total = (values * _WEIGHTS).sum(axis=1) % 23
    letters = np.array(list(CHECK_ALPHABET))[total]
    return pd.Series(letters, index=body.index)


def valid_check_letter(upn: pd.Series) -> pd.Series:
    """True where a 13-character UPN's first character is the right check letter."""
    s = upn.astype("str").str.upper()
    ok_shape = upn.notna() & (s.str.len() == 13)
    out = pd.Series(False, index=upn.index)
    if ok_shape.any():
        expected = check_letters(s[ok_shape].str[1:])
        out[ok_shape] = s[ok_shape].str[0] == expected
    return out
