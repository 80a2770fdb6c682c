"""The one error base. Every error gh-ft expects (bad input, a missing tool, a failed stage)
is a GhFtError: the CLI prints its message as one line on stderr and exits with its
`exit_code`. Anything else is a bug and keeps its traceback.

Exit codes (also in the README):
  0  success
  1  a stage or check failed (GhFtError)
  2  bad settings or command-line use (SettingsError, click's usage errors)
  3  busy: another process holds the lock (LockBusy)
  130  interrupted (Ctrl-C)
"""
from __future__ import annotations

EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_INTERRUPTED = 1, 2, 3, 130


class GhFtError(Exception):
    """Base of every error gh-ft reports as one line."""

    exit_code = EXIT_FAILED


class StageFailed(GhFtError):
    """A stage could not produce its outputs; the message says why and what to do."""
