"""CIN census rules: identifiers."""

from schemas.rules.cin.base import YEARS, rule  # noqa: F401
