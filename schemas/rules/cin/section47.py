"""CIN census rules: section47."""

from schemas.rules.cin.base import YEARS, rule  # noqa: F401
