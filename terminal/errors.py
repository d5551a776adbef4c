"""One error hierarchy for the terminal core.

Each error carries a message a person can act on, and an exit code from the CLI contract
(terminal-interfaces.md §1): 1 business decline/failure, 2 bad input, 3 terminal fault,
4 result still unknown.
"""
from __future__ import annotations


class TerminalError(Exception):
    """Base of every error the core raises on purpose."""

    exit_code = 3
    code = "TERMINAL_FAULT"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InputError(TerminalError):
    """Bad input from a person or a device: nothing was changed."""

    exit_code = 2
    code = "BAD_INPUT"


class BusinessError(TerminalError):
    """The acquirer or the terminal's rules refused the operation for a business reason."""

    exit_code = 1
    code = "DECLINED"


class FaultError(TerminalError):
    """Configuration, key, journal or device problem: a technician must act."""

    exit_code = 3
    code = "TERMINAL_FAULT"


class UnknownResultError(TerminalError):
    """The outcome is not known yet; the next start (or `recover`) resolves it."""

    exit_code = 4
    code = "RESULT_UNKNOWN"
