"""Domain exceptions that services raise and views map to HTTP."""
from __future__ import annotations


class DomainError(Exception):
    """Base class. `message` is user-facing (already translated); `field` names the form field."""

    status = 400

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class TooManyAttempts(DomainError):
    status = 429
