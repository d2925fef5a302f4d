"""SSDA903 rules: episodes_a."""

from schemas.rules.ssda903.base import ALL_YEARS, rule  # noqa: F401
