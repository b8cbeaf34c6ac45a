"""Change events that start background work: a booking, a move or a cancellation queues the patient's confirmation
email on Celery, after the change was committed. ``CompositePublisher`` hands the same events to several publishers
(Redis pub/sub for the open pages, Celery for the worker), so that one failing never stops the others.

The Celery app is imported lazily (``jobs`` is the outer layer; ``hms`` never imports it at module level), and only
the task's name and ids cross the broker (JSON), never an object.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hms.config import Settings
from hms.events import Event, Publisher

if TYPE_CHECKING:
    from celery import Celery

logger = logging.getLogger(__name__)

CONFIRMATION_TASK = 'hms.appointment_email'
CONFIRMED_EVENTS = {
    'appointment.booked': 'booked',
    'appointment.rescheduled': 'rescheduled',
    'appointment.cancelled': 'cancelled',
}
# A change was already committed when its events are published: never hold the request up for long on a broker
# that is down (the confirmation is then lost and logged; the daily reminder still goes out).
PUBLISH_RETRY_POLICY = {'max_retries': 2, 'interval_start': 0, 'interval_step': 0.2, 'interval_max': 0.5}
BROKER_TIMEOUTS = {'socket_connect_timeout': 2, 'socket_timeout': 5}


class TaskPublisher:
    """Queues ``hms.appointment_email`` for each booked, rescheduled or cancelled appointment."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: Celery | None = None
        self._lock = threading.Lock()

    def _celery(self) -> Celery:
        if self._app is None:
            from jobs.celery_app import create_celery

            app = create_celery(self.settings)
            options = dict(app.conf.broker_transport_options or {})
            app.conf.broker_transport_options = {**BROKER_TIMEOUTS, **options}
            self._app = app
        return self._app

    @staticmethod
    def confirmations(events: Iterable[Event]) -> list[dict[str, Any]]:
        """The task kwargs for the events that call for a confirmation."""
        found = []
        for event in events:
            kind = CONFIRMED_EVENTS.get(event.kind)
            appointment_id = event.data.get('appointment_id')
            if kind is not None and isinstance(appointment_id, int):
                found.append({'appointment_id': appointment_id, 'kind': kind})
        return found

    def publish(self, events: Iterable[Event]) -> None:
        queued = self.confirmations(events)
        if not queued:
            return
        with self._lock:  # one producer set-up per process; sending is quick
            app = self._celery()
            for kwargs in queued:
                app.send_task(
                    CONFIRMATION_TASK, kwargs=kwargs, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY_POLICY
                )

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None


class CompositePublisher:
    """Publishes to each publisher in turn; a failure is logged once (until that publisher works again)."""

    def __init__(self, publishers: Sequence[Publisher]) -> None:
        self.publishers = list(publishers)
        self._failing: set[int] = set()

    def publish(self, events: Iterable[Event]) -> None:
        events = list(events)
        if not events:
            return
        for index, publisher in enumerate(self.publishers):
            name = type(publisher).__name__
            try:
                publisher.publish(events)
            except Exception:  # a committed change must not fail because one of its listeners did
                if index not in self._failing:
                    self._failing.add(index)
                    logger.exception('events: %s failed; carrying on with the others', name)
                continue
            if index in self._failing:
                self._failing.discard(index)
                logger.info('events: %s works again', name)

    def close(self) -> None:
        for publisher in self.publishers:
            close = getattr(publisher, 'close', None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing at shutdown or re-initialisation is best effort
                    logger.debug('events: closing %s failed', type(publisher).__name__, exc_info=True)
