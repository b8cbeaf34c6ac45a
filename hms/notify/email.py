"""Email: multipart (plain text and HTML, attachments) in the clinic's name, sent in a real SMTP conversation."""

from __future__ import annotations

import logging
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from hms.config import Settings
from hms.domain.text import one_line

from .message import DeliveryError, Message

logger = logging.getLogger(__name__)


def compose(message: Message, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    sender_name, sender_address = parseaddr(settings.sender)
    email['From'] = formataddr((sender_name or settings.clinic_name, sender_address))
    # Headers are one line: a line break typed into a name must not add a header (input refuses it; stored data
    # from before that rule is made one line here). The email package quotes and encodes the rest.
    email['To'] = str(Address(display_name=one_line(message.to_name), addr_spec=message.to_email))
    email['Subject'] = one_line(message.subject)
    email['Date'] = formatdate(localtime=False)
    domain = sender_address.split('@')[-1] or 'hms.local'
    email['Message-ID'] = f'<{message.reference}@{domain}>' if message.reference else make_msgid(domain=domain)
    email['Auto-Submitted'] = 'auto-generated'
    email.set_content(message.text)
    email.add_alternative(message.html, subtype='html')
    for attachment in message.attachments:
        maintype, _slash, rest = attachment.mimetype.partition('/')
        subtype, _semicolon, parameters = rest.partition(';')
        params = dict(part.strip().split('=', 1) for part in parameters.split(';') if '=' in part)
        email.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype.strip(), filename=attachment.filename, params=params
        )
    return email


def smtp_endpoint(settings: Settings, sink_port: int | None) -> tuple[str, int, bool]:
    """(host, port, starttls) of the configured server, or of the local sink when none is configured."""
    if settings.smtp_host:
        return settings.smtp_host, settings.smtp_port, settings.smtp_starttls
    if sink_port is None:
        raise DeliveryError('no SMTP server is configured and the local sink is not running', permanent=False)
    return '127.0.0.1', sink_port, False


def send(message: Message, settings: Settings, *, sink_port: int | None = None) -> None:
    """Deliver one email; raises DeliveryError (permanent for 5xx answers and refused recipients)."""
    send_composed(compose(message, settings), settings, sink_port=sink_port)


def send_composed(email: EmailMessage, settings: Settings, *, sink_port: int | None = None) -> None:
    """Deliver an already composed email (e.g. with inline images); errors classified as in ``send``."""
    host, port, starttls = smtp_endpoint(settings, sink_port)
    try:
        with smtplib.SMTP(host, port, timeout=settings.smtp_timeout_seconds) as smtp:
            smtp.ehlo()
            if starttls:
                smtp.starttls()
                smtp.ehlo()
            if settings.smtp_user and settings.smtp_password is not None:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _message in error.recipients.values()]
        raise DeliveryError(f'recipient refused ({codes})', permanent=all(code >= 500 for code in codes)) from error
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f'SMTP {error.smtp_code}', permanent=error.smtp_code >= 500) from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f'SMTP unreachable: {type(error).__name__}', permanent=False) from error
    # the message id is enough to follow a message through the server's logs; never the recipient or the subject
    logger.info('email %s sent through %s:%s', email['Message-ID'], host, port)
