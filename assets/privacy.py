"""Keep data values out of Dagster's event log when an asset fails.

Dagster stores a failing step's exception message and its chained causes. Our own readers' errors name
a file and a line and nothing else, so they pass through unchanged. Any other exception (a KeyError from
pandas, say) may quote a child's identifier or a value, so its text is withheld: the step fails with the
exception's type only, and the full detail is reproducible outside Dagster with the CLI.
"""

import functools
from collections.abc import Callable

from statreturns.cin.xml_reader import CinReadError
from statreturns.deployment import ConfigError
from statreturns.report import SubmissionBlocked
from statreturns.ssd import SsdReadError
from statreturns.ssda903.xml_reader import Ssda903ReadError

# Our own readers' and settings' errors (file and line, or the setting: never a value) pass through.
SAFE = (CinReadError, SsdReadError, Ssda903ReadError, SubmissionBlocked, FileNotFoundError, ConfigError)


class WithheldError(RuntimeError):
    """An asset failed; the original message is withheld because it may contain personal data."""


def withhold_data_in_errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SAFE:
            raise
        except Exception as exc:  # noqa: BLE001 - re-raised without its text, see the module docstring
            raise WithheldError(
                f"{fn.__name__} failed with {type(exc).__name__} (message withheld: it may quote data; "
                "run the same step with the statreturns CLI to see it)"
            ) from None

    return wrapper
