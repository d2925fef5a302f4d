"""Cross-return checks (not DfE rules): CIN census, SSDA903 and school rolls agree about each child.

Registered on import; topic modules are listed here, not discovered. See statreturns/cross.py for the
frames and the README ("Cross-return checks") for each check's reading and source.
"""

from schemas.rules.cross import care, identity, school  # noqa: F401 - imported to register their rules
from schemas.rules.cross.base import CROSS

__all__ = ["CROSS"]
