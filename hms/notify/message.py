"""A notification as composed once and sent on any channel."""

from __future__ import annotations

from dataclasses import dataclass, field


class DeliveryError(Exception):
    """A channel could not deliver. ``permanent`` failures are not retried (e.g. SMTP 5xx, HTTP 4xx)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # e.g. 'text/calendar; method=REQUEST', 'application/pdf'


@dataclass(frozen=True)
class Message:
    to_email: str
    to_name: str
    subject: str  # never clinical detail: subjects show on lock screens
    text: str
    html: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    short_text: str = ''  # for chat and SMS
    phone: str | None = None
    # A stable id of what is sent (one delivery): sent again after a crash between the SMTP server's acceptance and
    # our record of it, the email keeps its Message-ID, so mail stores and clients show it once. '' = a fresh id.
    reference: str = ''
