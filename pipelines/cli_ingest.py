"""`statreturns` commands for ingest (wired into pipelines/cli.py)."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands to the top-level parser."""


def run(args: argparse.Namespace) -> int | None:
    """Run the command if it is one of ours and return its exit code; None if it is not ours."""
    return None
