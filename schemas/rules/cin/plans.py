"""CIN census rules: plans."""

from schemas.rules.cin.base import YEARS, rule  # noqa: F401
