"""CIN census rules: referrals."""

from schemas.rules.cin.base import YEARS, rule  # noqa: F401
