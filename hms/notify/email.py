"""Email: multipart (plain text and HTML, attachments) in the clinic's name, sent in a real SMTP conversation."""

from __future__ import annotations

import atexit
import logging
import os
import smtplib
import threading
import time
from collections.abc import Callable, Sequence
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any, cast

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
    wire = wire_form(message, settings)
    if wire is None:  # an address beyond ASCII: the email package's SMTPUTF8 path
        send_composed(compose(message, settings), settings, sink_port=sink_port)
        return
    sender, recipient, content, message_id = wire
    _deliver(lambda smtp: smtp.sendmail(sender, [recipient], content), message_id, settings, sink_port)


def wire_form(message: Message, settings: Settings) -> tuple[str, str, bytes, str] | None:
    """(envelope sender, recipient, the message as sent, its Message-ID): what ``compose`` says, written with the
    email package's older API, which does not parse back every header it is given (~3 times cheaper: the
    confirmations' hot path). None for an address that is not ASCII."""
    sender_name, sender_address = parseaddr(settings.sender)
    if not (sender_address.isascii() and message.to_email.isascii()):
        return None
    domain = sender_address.split('@')[-1] or 'hms.local'
    message_id = f'<{message.reference}@{domain}>' if message.reference else make_msgid(domain=domain)
    alternative = MIMEMultipart('alternative')
    alternative.attach(_text_part(message.text, 'plain'))
    alternative.attach(_text_part(message.html, 'html'))
    if message.attachments:
        email: MIMEBase = MIMEMultipart('mixed')
        email.attach(alternative)
        for attachment in message.attachments:
            maintype, _slash, rest = attachment.mimetype.partition('/')
            subtype, _semicolon, parameters = rest.partition(';')
            params = dict(part.strip().split('=', 1) for part in parameters.split(';') if '=' in part)
            part = MIMEBase(maintype, subtype.strip())
            for name, value in params.items():
                part.set_param(name, value)
            part.set_payload(attachment.content)
            encode_base64(part)
            part.add_header('Content-Disposition', 'attachment', filename=attachment.filename)
            email.attach(part)
    else:
        email = alternative
    # Headers are one line (see compose); names and the subject beyond ASCII are encoded words.
    email['From'] = formataddr((sender_name or settings.clinic_name, sender_address), charset='utf-8')
    email['To'] = formataddr((one_line(message.to_name), message.to_email), charset='utf-8')
    subject = one_line(message.subject)
    cast(Any, email)['Subject'] = subject if subject.isascii() else Header(subject, 'utf-8')
    email['Date'] = formatdate(localtime=False)
    email['Message-ID'] = message_id
    email['Auto-Submitted'] = 'auto-generated'
    return sender_address, message.to_email, email.as_bytes(policy=_WIRE), message_id


_WIRE = compat32.clone(linesep='\r\n')
_UTF8_QP = Charset('utf-8')
_UTF8_QP.body_encoding = QP  # readable text parts, as the email package's newer API writes them


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart('text', subtype)
    if text.isascii() and all(len(line) <= 998 for line in text.splitlines()):
        part.set_payload(text, 'us-ascii')  # 7bit
    else:
        part.set_payload(text, _UTF8_QP)
    return part


def send_composed(email: EmailMessage, settings: Settings, *, sink_port: int | None = None) -> None:
    """Deliver an already composed email (e.g. with inline images); errors classified as in ``send``."""
    _deliver(lambda smtp: smtp.send_message(email), email['Message-ID'], settings, sink_port)


def _deliver(
    transmit: Callable[[_Connection], object], message_id: str, settings: Settings, sink_port: int | None
) -> None:
    """Send through ``transmit``; errors classified as in ``send``.

    The SMTP connection is kept open for the next email of this process (``_Connections``): a worker sending a
    stream of confirmations has one conversation, not one per email. A kept connection the server has closed meanwhile
    fails before the server accepted anything of this email (at MAIL FROM, or RCPT TO): it is then replaced by a new
    one and the email sent once on that. A failure once the message's data went out is never repeated here: the
    delivery's retry sends it again, with the same Message-ID, as before."""
    host, port, starttls = smtp_endpoint(settings, sink_port)
    where = (host, port, starttls, settings.smtp_user or '')
    smtp: _Connection | None = None
    try:
        smtp = _CONNECTIONS.take(where)
        try:
            _transmit(smtp or _open(settings, host, port, starttls), transmit)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPSenderRefused, OSError) as error:
            if smtp is None or not _stale(smtp, error):
                raise
            smtp.close()
            smtp = None  # the kept connection had gone away before this email's envelope was accepted
            _transmit(_open(settings, host, port, starttls), transmit)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _message in error.recipients.values()]
        raise DeliveryError(f'recipient refused ({codes})', permanent=all(code >= 500 for code in codes)) from error
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f'SMTP {error.smtp_code}', permanent=error.smtp_code >= 500) from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f'SMTP unreachable: {type(error).__name__}', permanent=False) from error
    # the message id is enough to follow a message through the server's logs; never the recipient or the subject
    logger.info('email %s sent through %s:%s', message_id, host, port)


# --- one kept SMTP connection per process (and sending thread) --------------------------------------------------

KEEP_IDLE_SECONDS = 30.0  # a connection unused longer than this is closed, not tried (servers time out idle ones)
MESSAGES_PER_CONNECTION = 100  # then a new conversation (servers limit messages per connection)
KEPT_AT_MOST = 4  # idle connections kept per process (one per thread sending at the same moment)


class _Connection(smtplib.SMTP):
    """An SMTP client that knows how far the current email got (``stage``) and how often it was used."""

    where: tuple[str, int, bool, str] = ('', 0, False, '')
    stage = ''  # '' (nothing sent yet), 'mail', 'rcpt', 'data' (the message went out: never sent again here)
    sent = 0
    last_used = 0.0

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.stage = 'mail'
        reply = super().mail(sender, options)
        self.stage = 'rcpt'
        return reply

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.stage = 'data'
        return super().data(msg)


def _stale(smtp: _Connection, error: Exception) -> bool:
    """Whether ``error`` on a kept connection means the server had closed it before this email was accepted: the
    connection dropped, or the server said 421 (closing), before the message's data was sent."""
    if smtp.stage == 'data':
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(error, smtplib.SMTPException)


def _open(settings: Settings, host: str, port: int, starttls: bool) -> _Connection:
    smtp = _Connection(host, port, timeout=settings.smtp_timeout_seconds)
    try:
        smtp.ehlo()
        if starttls:
            smtp.starttls()
            smtp.ehlo()
        if settings.smtp_user and settings.smtp_password is not None:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
    except BaseException:
        smtp.close()
        raise
    smtp.where = (host, port, starttls, settings.smtp_user or '')
    return smtp


def _transmit(smtp: _Connection, transmit: Callable[[_Connection], object]) -> None:
    """Send on ``smtp`` and keep it for the next email; any failure closes it."""
    smtp.stage = ''
    try:
        transmit(smtp)
    except BaseException:
        smtp.close()
        raise
    smtp.sent += 1
    smtp.last_used = time.monotonic()
    _CONNECTIONS.give_back(smtp)


class _Connections:
    """Idle connections of this process, by server. A forked child never uses its parent's (their sockets are the
    parent's conversation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Connection] = []
        self._pid = os.getpid()

    def take(self, where: tuple[str, int, bool, str]) -> _Connection | None:
        found: _Connection | None = None
        closing: list[_Connection] = []
        now = time.monotonic()
        with self._lock:
            if self._pid != os.getpid():
                self._idle, self._pid = [], os.getpid()
            kept = []
            for smtp in self._idle:
                if now - smtp.last_used > KEEP_IDLE_SECONDS:
                    closing.append(smtp)
                elif found is None and smtp.where == where:
                    found = smtp
                else:
                    kept.append(smtp)
            self._idle = kept
        for smtp in closing:
            _quit(smtp)
        return found

    def give_back(self, smtp: _Connection) -> None:
        if smtp.sent >= MESSAGES_PER_CONNECTION:
            _quit(smtp)
            return
        with self._lock:
            if self._pid == os.getpid() and len(self._idle) < KEPT_AT_MOST:
                self._idle.append(smtp)
                return
        _quit(smtp)

    def close(self) -> None:
        """Say goodbye on every idle connection (a worker process stopping; tests)."""
        with self._lock:
            idle, self._idle = (self._idle if self._pid == os.getpid() else []), []
        for smtp in idle:
            _quit(smtp)


def _quit(smtp: _Connection) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


_CONNECTIONS = _Connections()
close_connections = _CONNECTIONS.close
atexit.register(close_connections)
