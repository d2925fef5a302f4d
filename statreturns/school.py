"""A school MIS pupil extract (a SIMS-style report export): canonical school_pupils to CSV and back.

Writing uses the SIMS report headers below; reading goes through the generic-mis ingest profile.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas import canonical
from statreturns.files import write_csv_atomic

# canonical column -> MIS report column (the header a SIMS/Arbor pupil report typically carries)
MIS_COLUMNS = {
    "pupil_id": "Adno", "UPN": "UPN", "forename": "Legal Forename", "surname": "Legal Surname",
    "PersonBirthDate": "DOB", "Sex": "Gender", "entry_date": "Date of Admission",
    "leaving_date": "Date of Leaving", "photo_file": "Photo", "sen_status": "SEN Status", "ehcp": "EHCP",
    "InCare": "In Care", "CareAuthority": "Care Authority",
}
DATE_COLUMNS = ("PersonBirthDate", "entry_date", "leaving_date")


def write_pupils(pupils: pd.DataFrame, path: Path) -> Path:
    out = pupils.reindex(columns=list(MIS_COLUMNS)).copy()
    for col in DATE_COLUMNS:
        out[col] = out[col].dt.strftime("%d/%m/%Y")
    for col in ("ehcp", "InCare"):
        out[col] = out[col].map({True: "Yes", False: "No"}).astype("object")
    return write_csv_atomic(out.rename(columns=MIS_COLUMNS), path)


def read_pupils(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (school_pupils, quarantine): the file read through the generic-mis ingest profile
    (data/profiles/generic-mis.yaml), which accepts the headers above and the other MIS spellings."""
    from statreturns.ingest.profiles import load_profile
    from statreturns.ingest.run import read_unlanded

    kind = "xlsx" if path.suffix.lower() == ".xlsx" else "sims-xml" if path.suffix.lower() == ".xml" else "csv"
    tables, quarantine = read_unlanded(kind, [path], load_profile("generic-mis"), "school_mis")
    pupils = tables.get("school_pupils", canonical.empty("school_pupils"))
    return pupils.reset_index(drop=True), quarantine.assign(line=quarantine["line"].astype("object"))
