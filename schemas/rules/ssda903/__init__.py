"""Every SSDA903 rule, registered on import. Topic modules are listed here, not discovered."""

from schemas.rules.ssda903 import (  # noqa: F401 - imported to register their rules
    adoption,
    episodes_a,
    episodes_b,
    extra,
    header,
    outcomes,
    social_workers,
)
from schemas.rules.ssda903.base import LAC

__all__ = ["LAC"]
