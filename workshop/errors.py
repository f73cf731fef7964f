"""What a workshop refuses, each with a one-line reason for the person who asked."""

from __future__ import annotations


class WorkshopError(Exception):
    """A request the workshop refuses; ``str(error)`` is the sentence to show."""


class NotFound(WorkshopError):
    """No such workshop, team or event."""


class AccessDenied(WorkshopError):
    """The caller's code, key or token does not allow this."""


class RateLimited(AccessDenied):
    """Too many wrong codes or keys lately; ``retry_after`` seconds until the next try."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(WorkshopError):
    """The workshop is not in a state that allows this (window closed, already submitted, ...)."""


class InvalidInput(WorkshopError):
    """A value out of range, an unknown name, a malformed decision."""


class IntegrityError(WorkshopError):
    """Replaying the stored decisions does not give the stored results."""
