"""CIN census rules: protection."""

from schemas.rules.cin.base import YEARS, rule  # noqa: F401
