"""Every CIN census rule, registered on import. Topic modules are listed here, not discovered."""

from schemas.rules.cin import (  # noqa: F401 - imported to register their rules
    assessments,
    header,
    identifiers,
    plans,
    preproceedings,
    protection,
    referrals,
    section47,
)
from schemas.rules.cin.base import CIN

__all__ = ["CIN"]
