"""Domain errors: messages a reviewer can act on, never bare tracebacks."""

from __future__ import annotations


class ReviewError(Exception):
    """Base of every error the CLI and UI show to a person as a plain message."""


class InputError(ReviewError):
    """Bad input file: names the file and, where known, the line."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.detail = message
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {message}")


class ProtocolError(ReviewError):
    """A protocol file that does not validate: names the file and the key."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        super().__init__(f"{file}: {key}: {message}")


class StoreError(ReviewError):
    """The review database cannot be used as asked (missing, not a review, already imported)."""


class ReviewChoiceError(StoreError):
    """The database holds several reviews and none was chosen, or not the one named: a front
    end offers the reviews instead of failing."""
