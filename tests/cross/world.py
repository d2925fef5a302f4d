"""A small hand-built world for the cross checks: two children, the returns and a roll that agree.

C1: looked after (open 903 episode from 1 June 2025), in the CIN census (episode open since January
2024), on roll as S1 flagged in care of LA 356. C2: CIN census only (closed episode with a protection
plan), on roll as S2. S3: a pupil the LA does not know. Tests change one thing and run the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from statreturns.cross import validate_cross
from statreturns.engine import RunResult

YEAR = 2026
LA = "356"
UPN1, UPN2, UPN3 = "A123456789012", "B123456789013", "C123456789014"


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype("object")


@dataclass
class World:
    cin_children: list[dict] = field(default_factory=lambda: [
        {"LAchildID": "C1", "UPN": UPN1, "UPNunknown": None, "PersonBirthDate": "2015-06-01", "Sex": "F"},
        {"LAchildID": "C2", "UPN": UPN2, "UPNunknown": None, "PersonBirthDate": "2012-03-03", "Sex": "M"},
    ])
    cin_episodes: list[dict] = field(default_factory=lambda: [
        {"LAchildID": "C1", "CINdetailsID": "0", "CINreferralDate": "2024-01-10", "CINclosureDate": None},
        {"LAchildID": "C2", "CINdetailsID": "1", "CINreferralDate": "2025-05-01", "CINclosureDate": "2025-12-01"},
    ])
    plans: list[dict] = field(default_factory=lambda: [
        {"LAchildID": "C2", "CINdetailsID": "1", "CPPID": "0", "CPPstartDate": "2025-06-01",
         "CPPendDate": "2025-11-01"},
    ])
    header: list[dict] = field(default_factory=lambda: [
        {"CHILD": "C1", "SEX": "F", "DOB": "01/06/2015", "UPN": UPN1},
    ])
    episodes: list[dict] = field(default_factory=lambda: [
        {"CHILD": "C1", "DECOM": "01/06/2025", "RNE": "S", "LS": "C2", "PLACE": "U4", "DEC": None, "REC": None},
    ])
    roll: list[dict] | None = field(default_factory=lambda: [
        {"pupil_id": "S1", "UPN": UPN1, "PersonBirthDate": "2015-06-01", "Sex": "F", "entry_date": "2021-09-01",
         "leaving_date": None, "InCare": True, "CareAuthority": "356"},
        {"pupil_id": "S2", "UPN": UPN2, "PersonBirthDate": "2012-03-03", "Sex": "M", "entry_date": "2023-09-01",
         "leaving_date": None, "InCare": False, "CareAuthority": None},
        {"pupil_id": "S3", "UPN": UPN3, "PersonBirthDate": "2013-02-02", "Sex": "F", "entry_date": "2020-09-01",
         "leaving_date": None, "InCare": None, "CareAuthority": None},
    ])
    la_code: str | None = LA

    def cin(self) -> dict[str, pd.DataFrame]:
        return {"ChildIdentifiers": _frame(self.cin_children), "CINdetails": _frame(self.cin_episodes),
                "ChildProtectionPlans": _frame(self.plans)}

    def ssda903(self) -> dict[str, pd.DataFrame]:
        return {"Header": _frame(self.header), "Episodes": _frame(self.episodes)}

    def pupils(self) -> pd.DataFrame | None:
        if self.roll is None:
            return None
        frame = pd.DataFrame(self.roll)
        for col in ("PersonBirthDate", "entry_date", "leaving_date"):
            frame[col] = pd.to_datetime(frame[col])
        frame["InCare"] = pd.array(frame["InCare"], dtype="boolean")
        return frame

    def run(self) -> RunResult:
        return validate_cross(self.cin(), self.ssda903(), self.pupils(), YEAR, la_code=self.la_code)

    def found(self, code: str) -> list[tuple[str, str, str]]:
        """(table, row, child_id) of each finding of ``code``."""
        issues = self.run().issues
        hit = issues[issues["rule_code"] == code]
        return sorted(zip(hit["table"], hit["row"].astype(str), hit["child_id"], strict=True))
