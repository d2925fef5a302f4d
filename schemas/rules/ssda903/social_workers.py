"""SSDA903 rules: social_workers."""

from schemas.rules.ssda903.base import ALL_YEARS, rule  # noqa: F401
