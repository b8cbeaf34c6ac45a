"""The beat schedule, in the clinic's time zone (Celery's `timezone` setting is the clinic's)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from hms.config import Settings


def _at(clock_time: str) -> tuple[int, int]:
    hour, minute = clock_time.split(':')
    return int(hour), int(minute)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    reminder_hour, reminder_minute = _at(settings.reminder_time)
    report_hour, report_minute = _at(settings.report_time)
    return {
        'daily-reminders': {
            'task': 'hms.daily_reminders',
            'schedule': crontab(hour=reminder_hour, minute=reminder_minute),
        },
        'monthly-reports': {
            'task': 'hms.monthly_reports',
            'schedule': crontab(hour=report_hour, minute=report_minute, day_of_month=1),
        },
        'export-cleanup': {'task': 'hms.cleanup_exports', 'schedule': crontab(minute=17)},
        # Confirmations whose hand-over to the broker failed at commit time (Redis was down) wait in the outbox.
        'outbox-drain': {'task': 'hms.drain_outbox', 'schedule': crontab()},
        # Waitlist offers whose hold ran out go to the next patient; stranded visits past their deadline are cancelled.
        'waitlist-sweep': {'task': 'hms.waitlist_sweep', 'schedule': crontab()},
        'rescue-deadlines': {'task': 'hms.rescue_deadlines', 'schedule': crontab(minute='*/5')},
        # Follow-ups due soon: one reminder with a booking link per recall (hms.services.recalls).
        'recalls': {'task': 'hms.recalls', 'schedule': crontab(hour=reminder_hour, minute=reminder_minute)},
    }
