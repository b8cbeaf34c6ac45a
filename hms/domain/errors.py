"""Domain errors raised by services; pages show their message, the API maps them to HTTP problems.

The message is translated where the error is raised, in the language in force there: the caller's (the page's, or
the API request's ``Accept-Language``). Raised without one, an error takes its class's default message, translated
then too. ``title`` is marked for the catalogue but kept in English on the error: the API publishes it as the
problem's stable title (see hms.api.problems); a page that shows it translates it with ``_(error.title)``. ``code``
names the kind of problem for programs, the same in every language.
"""

from __future__ import annotations

import re

from hms.i18n import N_, _


class DomainError(Exception):
    """Base of every error a user can cause; ``message`` is safe to show to them."""

    status_code = 400
    title = N_('Bad request')
    code = 'bad_request'
    default_message = N_('This request cannot be carried out.')

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A subclass that names no ``code`` of its own gets one from its name (ExportExpired: 'export_expired')."""
        super().__init_subclass__(**kwargs)
        if 'code' not in cls.__dict__:
            cls.code = re.sub(r'(?<!^)(?=[A-Z])', '_', cls.__name__).lower()

    def __init__(self, message: str | None = None, *, field_errors: dict[str, str] | None = None) -> None:
        text = _(self.default_message) if message is None else message
        super().__init__(text)
        self.message = text
        self.field_errors = field_errors or {}


class InvalidInput(DomainError):
    status_code = 422
    title = N_('Invalid input')
    code = 'invalid_input'
    default_message = N_('Please correct the highlighted fields.')


class NotAuthenticated(DomainError):
    status_code = 401
    title = N_('Not authenticated')
    code = 'not_authenticated'
    default_message = N_('Please sign in.')


class InvalidCredentials(NotAuthenticated):
    title = N_('Invalid credentials')
    code = 'invalid_credentials'
    default_message = N_('Wrong email or password.')


class AccountBlocked(DomainError):
    status_code = 403
    title = N_('Account blocked')
    code = 'account_blocked'
    default_message = N_(
        'This account has been deactivated by the clinic. Please contact the clinic to restore access.'
    )


class NotAllowed(DomainError):
    status_code = 403
    title = N_('Forbidden')
    code = 'forbidden'
    default_message = N_('You are not allowed to do this.')


class NotFound(DomainError):
    status_code = 404
    title = N_('Not found')
    code = 'not_found'
    default_message = N_('There is nothing here, or it is not yours to see.')


class Conflict(DomainError):
    status_code = 409
    title = N_('Conflict')
    code = 'conflict'
    default_message = N_('This conflicts with a change made in the meantime. Reload and try again.')


class PasswordChangeRequired(NotAllowed):
    title = N_('Password change required')
    code = 'password_change_required'
    default_message = N_('Change your one-time password first: until then, changing it is all this account can do.')


class EmailTaken(Conflict):
    title = N_('Email already registered')
    code = 'email_taken'
    default_message = N_('An account with this email already exists. Sign in instead, or use another email.')


class TooManyAttempts(DomainError):
    status_code = 429
    title = N_('Too many attempts')
    code = 'too_many_attempts'
    default_message = N_('Too many attempts. Please wait a little and try again.')

    def __init__(self, message: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class SlotTaken(Conflict):
    title = N_('Slot taken')
    code = 'slot_taken'
    default_message = N_('This slot was just taken. Please choose another time.')


class OverlappingBooking(Conflict):
    title = N_('Overlapping appointment')
    code = 'overlapping_booking'
    default_message = N_('You already have an appointment at this time.')


class NotBookable(InvalidInput):
    title = N_('Not bookable')
    code = 'not_bookable'
    default_message = N_('This time cannot be booked. Choose one of the listed free slots.')


class InvalidTransition(Conflict):
    title = N_('Invalid status change')
    code = 'invalid_transition'
    default_message = N_('This appointment can no longer be changed this way.')


class NobodyWaiting(Conflict):
    title = N_('Nobody waiting')
    code = 'nobody_waiting'
    default_message = N_('Nobody is waiting: no checked-in patient of yours today.')


class InUse(Conflict):
    title = N_('Still in use')
    code = 'in_use'
    default_message = N_('This is still in use and cannot be removed.')


class AvailabilityConflict(Conflict):
    """Removing availability would strand booked appointments; ``affected`` lists them for the user to decide."""

    title = N_('Availability holds bookings')
    code = 'availability_conflict'
    default_message = N_(
        'Booked appointments fall outside the new availability. Keep the time open, or confirm to cancel them.'
    )

    def __init__(self, message: str | None = None, *, affected: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.affected = affected


class LinkNotValid(DomainError):
    """A password-reset or verification link that was used already, has expired, or never existed: one answer."""

    status_code = 400
    title = N_('Link not valid')
    code = 'link_not_valid'
    default_message = N_('This link is no longer valid: it was used already or has expired. Ask for a new one.')


class EmailNotVerified(NotAllowed):
    title = N_('Email not confirmed')
    code = 'email_not_verified'
    default_message = N_(
        'Please confirm your email address first: open the link in the message we sent you when you registered.'
    )
