"""SSDA903 rules: outcomes."""

from schemas.rules.ssda903.base import ALL_YEARS, rule  # noqa: F401
