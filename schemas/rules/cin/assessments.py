"""CIN census rules: assessments."""

from schemas.rules.cin.base import YEARS, rule  # noqa: F401
