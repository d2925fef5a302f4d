"""The fast canonical check gives exactly what pandera's check gives: clean frames (its own path) and
frames with each kind of failure (handed to pandera), for every canonical model."""

from __future__ import annotations

import pandas as pd
import pytest

from schemas import canonical
from schemas.validation import check as pandera_check
from statreturns.ingest import checked


def _clean(table: str, n: int = 6) -> pd.DataFrame:
    """A frame of the model's columns as a reader leaves them (text, dates as text or parsed, flags)."""
    out = {}
    for i, (name, col) in enumerate(canonical.MODELS[table].to_schema().columns.items()):
        kind = str(col.dtype)
        if "datetime" in kind:
            out[name] = pd.to_datetime([f"2024-0{1 + r % 9}-1{r % 10}" for r in range(n)])
        elif kind == "boolean":
            out[name] = pd.array([True, False, None] * (n // 3), dtype="boolean")
        else:
            out[name] = pd.Series([f"{name[:3]}{i}-{r}" for r in range(n)], dtype=object)
    return pd.DataFrame(out).assign(extra_source_column="x")  # dropped by strict="filter"


def _variants(table: str) -> dict[str, pd.DataFrame]:
    clean = _clean(table)
    schema = canonical.MODELS[table].to_schema()
    required = [c for c, col in schema.columns.items() if not col.nullable]
    unique = [c for c, col in schema.columns.items() if col.unique]
    text = [c for c, col in schema.columns.items() if "str" in str(col.dtype) and col.nullable]
    dates = [c for c, col in schema.columns.items() if "datetime" in str(col.dtype)]
    out = {"clean": clean, "empty": clean.iloc[0:0], "missing columns": clean[[clean.columns[0]]]}
    if required:
        out["null key"] = clean.assign(**{required[0]: [None, *clean[required[0]].iloc[1:]]})
        out["empty key"] = clean.assign(**{required[0]: ["", *clean[required[0]].iloc[1:]]})
    if unique:
        out["duplicate key"] = clean.assign(**{unique[0]: [clean[unique[0]].iloc[1], *clean[unique[0]].iloc[1:]]})
    if text:
        out["nulls in text"] = clean.assign(**{text[0]: [None, float("nan"), *clean[text[0]].iloc[2:]]})
    if dates:
        out["dates as text"] = clean.assign(**{dates[0]: ["2024-01-02", None, "2023-12-31", *["2024-02-03"] * 3]})
        out["a date that is not one"] = clean.assign(**{dates[0]: ["not a date", *["2024-02-03"] * 5]})
    return out


CASES = [(table, variant) for table in canonical.MODELS for variant in _variants(table)]


@pytest.mark.parametrize(("table", "variant"), CASES, ids=[f"{t}-{v}" for t, v in CASES])
def test_same_as_pandera(table, variant):
    frame = _variants(table)[variant]
    model = canonical.MODELS[table]
    try:
        expected = pandera_check(model, frame.copy(), table)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc).split(" (")[0]):
            checked.check(model, frame.copy(), table)
        return
    got = checked.check(model, frame.copy(), table)
    for part in ("valid", "quarantined", "problems"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(expected, part), check_exact=True)
    for col in expected.valid.columns:  # None / NaN / NaT kept as pandera leaves them
        assert got.valid[col].map(type).tolist() == expected.valid[col].map(type).tolist(), col


def test_clean_frames_skip_pandera_and_failing_ones_do_not(monkeypatch):
    calls = []
    monkeypatch.setattr(checked, "pandera_check", lambda *a: calls.append(a[2]) or pandera_check(*a))
    checked.check(canonical.Child, _variants("children")["clean"], "children")
    assert calls == []
    got = checked.check(canonical.Child, _variants("children")["duplicate key"], "children")
    assert calls == ["children"] and len(got.quarantined) == 2
