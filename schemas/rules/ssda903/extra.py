"""SSDA903 rules: extra."""

from schemas.rules.ssda903.base import ALL_YEARS, rule  # noqa: F401
