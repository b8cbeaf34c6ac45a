"""Settings from the environment (prefix ``HMS_``) and an optional ``.env`` file."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')


class Settings(BaseSettings):
    """Every operator-facing setting; README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix='HMS_', env_file='.env', extra='ignore')

    data_dir: Path = Path('./data')
    # Where CSV exports are written (by a worker) and read (by a web instance): a folder every one of them shares.
    exports_dir: Path | None = None
    database_url: str | None = None
    redis_url: str | None = None
    host: str = '127.0.0.1'
    port: int = Field(default=8080, ge=1, le=65535)
    # The address users reach (https://clinic.example.org): every link in every message starts with it.
    public_url: str | None = None
    clinic_name: str = 'HMS Clinic'
    clinic_address: str = ''
    timezone: str = 'UTC'
    default_language: str = Field(default='en', pattern=r'^(en|de|fr)$')  # when neither account nor browser says
    storage_secret: SecretStr | None = None
    admin_email: str = 'admin@hms.local'
    admin_password: SecretStr | None = None

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    mail_from: str | None = None  # default: '<clinic name> <no-reply@hms.local>'
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    chat_webhook_url: str | None = None  # Google Chat style: JSON {"text": ...} POSTed to this URL
    sms_gateway_url: str | None = None  # a URL template with {phone} and {text}, called with GET
    reminder_time: str = Field(default='08:00', pattern=r'^([01]\d|2[0-3]):[0-5]\d$')
    report_time: str = Field(default='07:00', pattern=r'^([01]\d|2[0-3]):[0-5]\d$')
    export_retention_days: int = Field(default=7, ge=1)
    # A task a killed worker had taken goes back to the queue after this long (Redis has no connection-bound acks).
    task_redelivery_seconds: int = Field(default=3600, ge=10)

    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_delay_seconds: int = Field(default=30, ge=1)  # the first wait after the free failures; doubles each time
    login_max_failures_per_account: int = Field(default=50, ge=1)  # from addresses that never signed in to it
    registration_per_hour: int = Field(default=5, ge=1)  # registrations per client address
    trusted_proxies: str = ''  # comma-separated IPs/CIDR networks whose X-Forwarded-For is believed
    booking_notice_minutes: int = Field(default=60, ge=0)
    booking_horizon_days: int = Field(default=7, ge=1, le=365)
    cancel_cutoff_hours: int = Field(default=2, ge=0)
    max_future_bookings: int = Field(default=5, ge=1)
    no_show_grace_minutes: int = Field(default=15, ge=0, le=24 * 60)  # a no-show only this long after the start
    no_show_limit: int = Field(default=3, ge=1)  # no-shows in 12 months after which booking goes through the desk
    recall_days_before: int = Field(default=14, ge=0, le=365)  # a follow-up's reminder goes out this long before
    waitlist_hold_minutes: int = Field(default=30, ge=1, le=24 * 60)  # a freed slot is held for one patient
    rescue_deadline_hours: int = Field(default=48, ge=1, le=24 * 30)  # stranded by a leave: rebook within this
    secure_cookies: bool = False
    reset_minutes: int = Field(default=30, ge=1, le=24 * 60)  # a password-reset link works this long, once
    verify_email: bool = False  # self-registered accounts sign in only after opening the emailed link
    log_level: str = 'INFO'
    log_format: Literal['text', 'json'] = 'text'  # json: one object per line (time, level, logger, message, request)

    @field_validator('timezone')
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f'unknown time zone {value!r}') from error
        return value

    @field_validator('log_level')
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f'unknown log level {value!r} (one of {", ".join(LOG_LEVELS)})')
        return value.upper()

    @field_validator('public_url')
    @classmethod
    def _public_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - reading it checks the port
        except ValueError as error:
            raise ValueError(f'not a URL: {value!r}') from error
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise ValueError(
                f'must be an http:// or https:// address with a host, like https://clinic.example.org: {value!r}'
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f'must have no query, fragment or user name: {value!r}')
        return f'{parts.scheme}://{parts.netloc}{parts.path}'.rstrip('/')  # the scheme in lower case

    @field_validator('trusted_proxies')
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for part in value.split(','):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # a ValueError names the wrong entry
        return value

    @property
    def base_url(self) -> str:
        """HMS_PUBLIC_URL without a trailing slash, else this server on localhost."""
        return self.public_url or f'http://localhost:{self.port}'

    def link(self, path: str) -> str:
        """The address users open for ``path`` (``/reset/…``): every link in a message is built here."""
        return f'{self.base_url}/{path.lstrip("/")}'

    @property
    def served_over_https(self) -> bool:
        return self.base_url.startswith('https://')

    @property
    def cookies_secure(self) -> bool:
        """Cookies are Secure when asked (HMS_SECURE_COOKIES) or when users reach the app over https."""
        return self.secure_cookies or self.served_over_https

    @property
    def sender(self) -> str:
        """The From of every email: HMS_MAIL_FROM, or the clinic's name at a no-reply address."""
        return self.mail_from or f'{self.clinic_name} <no-reply@hms.local>'

    @property
    def sends_through_sink(self) -> bool:
        """No SMTP server configured: development mail goes to the local sink and the admin's Outbox."""
        return not self.smtp_host

    @property
    def outbox_path(self) -> Path:
        return self.data_path / 'outbox'

    @property
    def exports_path(self) -> Path:
        if self.exports_dir is not None:
            return self.exports_dir.expanduser().resolve()
        return self.data_path / 'exports'

    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f'sqlite:///{self.data_path / "hms.db"}'

    def ensure_data_dir(self) -> Path:
        """Create the data folder, readable by its owner only (an older, wider folder is narrowed)."""
        self.data_path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.data_path.stat().st_mode & 0o077:
            os.chmod(self.data_path, 0o700)
        return self.data_path

    def effective_storage_secret(self) -> str:
        """The configured secret, else one generated once and kept in the data folder."""
        if self.storage_secret is not None:
            return self.storage_secret.get_secret_value()
        path = self.ensure_data_dir() / 'storage_secret'
        if not path.exists():
            write_private_file(path, secrets.token_urlsafe(48))
        return path.read_text(encoding='utf-8').strip()


def write_private_file(path: Path, content: str) -> None:
    """Write a file that only its owner can read (created with 0600, never world-readable in between)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(content)
    os.chmod(path, 0o600)
