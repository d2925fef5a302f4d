"""Short names for the codes the report breaks figures down by (CIN census XSD 2026, SSDA903 guide).

Kept here rather than in ``data/codes``: those lists say which codes are valid, these only say what a
code means to a reader. A code without a name is shown as the bare code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PRIMARY_NEED: Mapping[str, str] = MappingProxyType({
    "N0": "Not stated",
    "N1": "Abuse, neglect and exploitation",
    "N2": "Child's disability",
    "N3": "Parental disability or illness",
    "N4": "Family in acute stress",
    "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour",
    "N7": "Low income",
    "N8": "Absent parenting",
    "N9": "Cases other than children in need",
})

CATEGORY_OF_ABUSE: Mapping[str, str] = MappingProxyType({
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "EMO": "Emotional abuse",
    "MUL": "Multiple",
})

LEGAL_STATUS: Mapping[str, str] = MappingProxyType({
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order",
    "E1": "Placement order",
    "V2": "Single period of s20 accommodation",
    "V3": "Short breaks, episodes recorded",
    "V4": "Short breaks, agreements recorded",
    "J1": "Remanded to LA or youth detention accommodation",
    "J2": "Placed under PACE",
    "J3": "Youth rehabilitation order with residence requirement",
    "L1": "Police protection",
    "L2": "Emergency protection order",
    "L3": "Child assessment order",
})

PLACEMENT: Mapping[str, str] = MappingProxyType({
    "A3": "Placed for adoption with consent, with current foster carer",
    "A4": "Placed for adoption with consent, not with current foster carer",
    "A5": "Placed for adoption under placement order, with current foster carer",
    "A6": "Placed for adoption under placement order, not with current foster carer",
    "H5": "Semi-independent accommodation",
    "K1": "Secure children's home",
    "K2": "Children's home",
    "K3": "Supported accommodation",
    "P1": "With parents or others with parental responsibility",
    "P2": "Independent living",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS or health establishment",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution or prison",
    "S1": "Residential school",
    "T0": "Temporary: any temporary move",
    "T1": "Temporary: hospital",
    "T2": "Temporary: child's holiday",
    "T3": "Temporary: foster carer's holiday",
    "T4": "Temporary: other, 7 days or less",
    "U1": "Relative or friend foster carer, long term",
    "U2": "Relative or friend foster carer, fostering for adoption",
    "U3": "Relative or friend foster carer, other",
    "U4": "Other foster carer, long term",
    "U5": "Other foster carer, fostering for adoption",
    "U6": "Other foster carer, other",
    "Z1": "Other placement",
})

NOT_RECORDED = "Not recorded"


def describe(codes: Mapping[str, str], code: str) -> str:
    """'N4 Family in acute stress', the bare code if it has no name, 'Not recorded' if blank."""
    if not code:
        return NOT_RECORDED
    name = codes.get(code)
    return f"{code} {name}" if name else code
