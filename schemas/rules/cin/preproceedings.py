"""CIN census rules: preproceedings."""

from schemas.rules.cin.base import YEARS, rule  # noqa: F401
