"""The one error an unreadable input raises: it names the file, the line and a plain reason, never a value."""

from __future__ import annotations

from statreturns.ssd import SsdReadError


class IngestError(SsdReadError):
    """A file, query or configuration that cannot be read at all.

    A subclass of SsdReadError so that assets.privacy passes its message (file, line, reason) through
    to Dagster instead of withholding it.
    """

    def __init__(self, file: str, reason: str, line: int | None = None) -> None:
        self.file, self.line, self.reason = file, line, reason
        where = f"{file}: line {line}" if line is not None else file
        super().__init__(f"{where}: {reason}")
