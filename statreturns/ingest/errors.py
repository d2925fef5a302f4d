"""The one error an unreadable input raises: it names the file, the line and a plain reason, never a value."""

from __future__ import annotations

from statreturns.ssd import SsdReadError


class IngestError(SsdReadError):
    """A file, query or configuration that cannot be read at all.

    A subclass of SsdReadError so that assets.privacy passes its message (file, line, reason) through
    to Dagster instead of withholding it.
    """

    def __init__(self, file: str, reason: str, line: int | None = None) -> None:
        from statreturns.ingest.names import shown

        self.file, self.line, self.reason = file, line, reason
        # a file name from an extract may hold a newline or be very long: the message stays one short line
        where = f"{shown(file)}: line {line}" if line is not None else shown(file)
        super().__init__(f"{where}: {reason}")
