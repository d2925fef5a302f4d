"""A school MIS pupil extract (a SIMS-style report export): canonical school_pupils to CSV and back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas import canonical
from schemas.validation import check
from statreturns.files import write_csv_atomic
from statreturns.ssd import QUARANTINE_COLUMNS, parse_dates

# canonical column -> MIS report column (the header a SIMS/Arbor pupil report typically carries)
MIS_COLUMNS = {
    "pupil_id": "Adno", "UPN": "UPN", "forename": "Legal Forename", "surname": "Legal Surname",
    "PersonBirthDate": "DOB", "Sex": "Gender", "entry_date": "Date of Admission",
    "leaving_date": "Date of Leaving", "photo_file": "Photo", "sen_status": "SEN Status", "ehcp": "EHCP",
}
DATE_COLUMNS = ("PersonBirthDate", "entry_date", "leaving_date")


def write_pupils(pupils: pd.DataFrame, path: Path) -> Path:
    out = pupils[list(MIS_COLUMNS)].copy()
    for col in DATE_COLUMNS:
        out[col] = out[col].dt.strftime("%d/%m/%Y")
    out["ehcp"] = out["ehcp"].map({True: "Yes", False: "No"}).astype("object")
    return write_csv_atomic(out.rename(columns=MIS_COLUMNS), path)


def read_pupils(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (school_pupils, quarantine)."""
    raw = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    inverse = {v.lower(): k for k, v in MIS_COLUMNS.items()}
    frame = raw.rename(columns=lambda c: inverse.get(c.strip().lower(), c))
    frame = frame.reindex(columns=list(MIS_COLUMNS))
    bad = pd.Series(False, index=frame.index)
    for col in DATE_COLUMNS:
        frame[col], invalid = parse_dates(frame[col])
        bad |= invalid
    frame["ehcp"] = pd.array(frame["ehcp"].str.strip().str.lower().map({"yes": True, "no": False, "y": True,
                                                                          "n": False}), dtype="boolean")
    frame["UPN"] = frame["UPN"].str.strip().str.upper()
    checked = check(canonical.SchoolPupil, frame.loc[~bad.to_numpy()], "school_pupils")
    lines = list(frame.index[bad.to_numpy()] + 2) + list(checked.quarantined.index + 2)
    reasons = ["bad_date"] * int(bad.sum()) + list(checked.quarantined["reason"])
    quarantine = pd.DataFrame({"source": "school_mis", "file": path.name, "line": lines, "table": "school_pupils",
                               "reason": reasons}, columns=QUARANTINE_COLUMNS)
    return checked.valid.reset_index(drop=True), quarantine
