"""``schemas.validation.check`` for the canonical models, without pandera's per-check cost when nothing fails.

pandera validates a column in many small steps (dtype check, nullability, each check, failure-case
frames even when there are none), which costs ~0.5 CPU-s for one council's canonical tables, about ten
times the coercion itself. Most extracts are clean, so here a frame is first coerced with pandera's own
dtypes and checked with a few vectorised tests of exactly the checks the canonical models use
(nullable, unique, ``str_length``). If every test passes, that coerced frame is what pandera returns for
it (tests/ingest/test_checked.py compares the two); if any test fails, or the schema uses anything else,
the frame goes to ``schemas.validation.check`` unchanged, which finds and reports the failing rows.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine

from schemas.validation import Checked, _no_problems
from schemas.validation import check as pandera_check


def check(model: type[pa.DataFrameModel], frame: pd.DataFrame, table: str) -> Checked:
    """The same result as ``schemas.validation.check(model, frame, table)``."""
    schema = _schema(model)
    if schema is not None:
        missing = [c for c in schema.columns if c not in frame.columns]
        if missing:
            frame = frame.assign(**{c: None for c in missing})
        valid = _coerced_if_clean(schema, frame)
        if valid is not None:
            return Checked(valid, frame.iloc[0:0].assign(reason=pd.Series(dtype="str")), _no_problems())
    return pandera_check(model, frame, table)


@functools.cache
def _schema(model: type[pa.DataFrameModel]) -> pa.DataFrameSchema | None:
    """The model's schema if it uses only what the fast path reproduces, else None."""
    schema = model.to_schema()
    plain = (schema.strict == "filter" and schema.coerce and not schema.ordered and schema.unique is None
             and not schema.checks and schema.index is None and not schema.add_missing_columns
             and not schema.drop_invalid_rows and not getattr(schema, "parsers", None))
    for col in schema.columns.values():
        plain = plain and col.dtype is not None and not col.regex and col.default is None \
            and not getattr(col, "parsers", None) and all(_is_str_length(c) for c in col.checks)
    return schema if plain else None


def _is_str_length(check: pa.Check) -> bool:
    stats = check.statistics or {}
    return (check.name == "str_length" and check.ignore_na and not check.element_wise and check.groupby is None
            and set(stats) <= {"min_value", "max_value", "exact_value"})


def _coerced_if_clean(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The frame pandera would return (extra columns dropped, every column coerced), or None when a
    value does not coerce or fails a check."""
    out = {}
    for name in frame.columns:
        col = schema.columns.get(name)
        if col is None:
            continue  # strict="filter": dropped
        try:
            s = col.dtype.coerce(frame[name])
        except Exception:  # noqa: BLE001 - any value that does not coerce: pandera reports it
            return None
        if not _dtype_ok(col, s) or not _checks_pass(col, s):
            return None
        out[name] = s
    return pd.DataFrame(out, index=frame.index)


def _dtype_ok(col: pa.Column, s: pd.Series) -> bool:
    result = col.dtype.check(pandas_engine.Engine.dtype(s.dtype), s)
    return bool(result) if isinstance(result, bool | np.bool_) else bool(np.asarray(result, dtype=bool).all())


def _checks_pass(col: pa.Column, s: pd.Series) -> bool:
    na = s.isna()
    if not col.nullable and na.any():
        return False
    if col.unique and s.duplicated().any():
        return False
    for check in col.checks:
        stats = check.statistics or {}
        length = s[~na].str.len()
        if stats.get("exact_value") is not None:
            ok = length == stats["exact_value"]
        else:
            ok = pd.Series(True, index=length.index)
            if stats.get("min_value") is not None:
                ok &= length >= stats["min_value"]
            if stats.get("max_value") is not None:
                ok &= length <= stats["max_value"]
        if not ok.all():
            return False
    return True
