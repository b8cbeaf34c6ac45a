"""Domain errors raised by services; pages show their message, the API maps them to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause; ``message`` is safe to show to them."""

    status_code = 400
    title = 'Bad request'

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidInput(DomainError):
    status_code = 422
    title = 'Invalid input'


class NotAuthenticated(DomainError):
    status_code = 401
    title = 'Not authenticated'


class InvalidCredentials(NotAuthenticated):
    title = 'Invalid credentials'


class AccountBlocked(DomainError):
    status_code = 403
    title = 'Account blocked'


class NotAllowed(DomainError):
    status_code = 403
    title = 'Forbidden'


class NotFound(DomainError):
    status_code = 404
    title = 'Not found'


class Conflict(DomainError):
    status_code = 409
    title = 'Conflict'


class EmailTaken(Conflict):
    title = 'Email already registered'


class TooManyAttempts(DomainError):
    status_code = 429
    title = 'Too many attempts'

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class SlotTaken(Conflict):
    title = 'Slot taken'


class OverlappingBooking(Conflict):
    title = 'Overlapping appointment'


class NotBookable(InvalidInput):
    title = 'Not bookable'


class InvalidTransition(Conflict):
    title = 'Invalid status change'


class InUse(Conflict):
    title = 'Still in use'


class AvailabilityConflict(Conflict):
    """Removing availability would strand booked appointments; ``affected`` lists them for the user to decide."""

    title = 'Availability holds bookings'

    def __init__(self, message: str, *, affected: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.affected = affected
