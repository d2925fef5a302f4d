"""Run a pandera model and return what failed without a single data value.

pandera's failure cases quote the failing values; those must never reach a log, an exception or
Dagster. ``check`` keeps only table, column, check name and row positions, and splits the frame into
the rows that pass and the rows to quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

PROBLEM_COLUMNS = ["table", "column", "check", "row"]


@dataclass
class Checked:
    valid: pd.DataFrame
    quarantined: pd.DataFrame  # the failing rows, with a 'reason' column (check names, no values)
    problems: pd.DataFrame  # table, column, check, row: no values


def check(model: type[pa.DataFrameModel], frame: pd.DataFrame, table: str) -> Checked:
    """Validate ``frame``; columns the model has and the source lacks are added as all-missing."""
    missing = [c for c in model.to_schema().columns if c not in frame.columns]
    if missing:
        frame = frame.assign(**{c: None for c in missing})
    try:
        valid = model.validate(frame, lazy=True)
        return Checked(valid, frame.iloc[0:0].assign(reason=pd.Series(dtype="str")), _no_problems())
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    except pa.errors.SchemaError as exc:  # a whole-frame problem, e.g. a dtype that cannot be coerced
        raise ValueError(f"table {table} does not fit the canonical model ({type(exc).__name__})") from None
    rows = pd.to_numeric(cases["index"], errors="coerce")
    problems = pd.DataFrame({
        "table": table,
        "column": cases["column"].astype("str"),
        "check": cases["check"].astype("str"),
        "row": rows,
    })
    whole = problems[problems["row"].isna()]
    if len(whole):
        cols = ", ".join(sorted(set(whole["column"])))
        raise ValueError(f"table {table} does not fit the canonical model (columns: {cols})")
    problems["row"] = problems["row"].astype("int64")
    bad_rows = sorted(set(problems["row"]))
    reasons = problems.groupby("row")["check"].agg(lambda s: ";".join(sorted(set(s))))
    bad = frame.loc[frame.index.isin(bad_rows)].copy()
    bad["reason"] = bad.index.map(reasons)
    good = frame.loc[~frame.index.isin(bad_rows)]
    # Re-validate what is left so its dtypes are coerced exactly like a clean frame's.
    return Checked(model.validate(good, lazy=True), bad, problems.reset_index(drop=True))


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
