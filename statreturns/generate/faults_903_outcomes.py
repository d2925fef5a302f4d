"""SSDA903 fault kinds for the rules of ``schemas/rules/ssda903/outcomes.py``, registered into ``faults.KINDS`` on
import (``faults`` imports this module last). Each kind names the 903 rules it must trigger; rules no extract
can reach are entered in ``faults.UNREACHABLE`` with the reason."""

from __future__ import annotations

from statreturns.generate.faults import FaultKind, register

KINDS_OUTCOMES: tuple[FaultKind, ...] = ()
for _k in KINDS_OUTCOMES:
    register(_k)
