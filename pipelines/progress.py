"""A Dagster logger that shows step progress on the terminal: step names and outcomes, nothing else."""

from __future__ import annotations

import logging
import sys

from dagster import InitLoggerContext, logger

_SHOWN = {"STEP_START": "…", "STEP_SUCCESS": "✓", "STEP_FAILURE": "✗", "STEP_SKIPPED": "-",
          "ASSET_CHECK_EVALUATION": None}


class _StepHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        if kind not in _SHOWN:
            return
        if kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            mark = "pass" if data.passed else "FAIL"
            sys.stdout.write(f"    check {data.check_name} on {data.asset_key.to_user_string()}: {mark}\n")
        else:
            sys.stdout.write(f"  {_SHOWN[kind]} {event.step_key}\n")
        sys.stdout.flush()


@logger(description="Prints one line per step start, success, failure and check result.")
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("statreturns.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.addHandler(_StepHandler())
    return log
