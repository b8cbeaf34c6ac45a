"""Change events that start background work: a booking, a move, a cancellation or a completed visit queues the
patient's email on Celery (a confirmation; after a visit, its documents). ``CompositePublisher`` hands the same events
to several publishers (Redis pub/sub for the open pages, Celery for the worker), so that one failing never stops the
others.

The confirmation goes through a transactional outbox (``hms.runtime.outbox``): ``stage`` writes it in the change's
own transaction (the unit of work calls it just before committing), ``publish`` hands it to the broker right after the
commit. A broker that is down then leaves the row waiting for the worker's periodic drain; nothing is lost.

Tasks reach the job system through ``hms.ports.TaskQueue``, which the composition root plugs in (``hms`` never
imports ``jobs``); only the task's name and ids cross the broker (JSON), never an object.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hms.config import Settings
from hms.db.models import Appointment, OutboxMessage
from hms.db.uow import UnitOfWork
from hms.events import Event, Publisher
from hms.ports import OpenQueue, TaskQueue

from . import outbox

logger = logging.getLogger(__name__)

CONFIRMATION_TASK = 'hms.appointment_email'
CONFIRMED_EVENTS = {
    'appointment.booked': 'booked',
    'appointment.rescheduled': 'rescheduled',
    'appointment.cancelled': 'cancelled',
    'appointment.completed': 'completed',  # the visit-completed email, with the visit's documents
}
# A change was already committed when its events are published: never hold the request up for long on a broker
# that is down (its outbox row waits for the worker's drain instead).
PUBLISH_RETRY_POLICY = {'max_retries': 1, 'interval_start': 0, 'interval_step': 0.2, 'interval_max': 0.5}
BROKER_TIMEOUTS = {'socket_connect_timeout': 2, 'socket_timeout': 2}  # a hung Redis costs a request ~4 s at most
# Before handing rows over, a PING this short tells a request whether Redis answers at all (else the rows wait).
PROBE_TIMEOUT_SECONDS = 0.5


class Producer:
    """This process's one connection for sending tasks by name, opened on first use through the plugged-in port."""

    def __init__(self, open_queue: OpenQueue | None) -> None:
        self._open = open_queue
        self._queue: TaskQueue | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Whether a job system is plugged in at all (no Redis, no worker: nothing can be queued)."""
        return self._open is not None

    def send(self, task: str, kwargs: dict[str, Any], *, retry_policy: dict[str, float] | None = None) -> None:
        """Send ``task`` with ``kwargs``; broker errors propagate (the caller decides what waiting means)."""
        if self._open is None:
            raise RuntimeError('no task queue is plugged in')
        with self._lock:  # one producer set-up per process; sending is quick
            if self._queue is None:
                self._queue = self._open()
            queue = self._queue
        queue.send_task(
            task, kwargs=kwargs, ignore_result=True, retry=True, retry_policy=retry_policy or PUBLISH_RETRY_POLICY
        )

    def close(self) -> None:
        with self._lock:
            if self._queue is not None:
                self._queue.close()
                self._queue = None


class TaskPublisher:
    """Queues ``hms.appointment_email`` for each booked, rescheduled or cancelled appointment, through the outbox.

    Without a ``producer`` (no job system plugged in) the rows only wait in the outbox, for a worker's drain."""

    def __init__(self, settings: Settings, producer: Producer | None = None) -> None:
        self.settings = settings
        self.producer = producer or Producer(None)
        self._staged = threading.local()  # rows staged by this thread's unit of work, until it publishes
        self._probe: redis.Redis | None = None
        self._down = False

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

    def stage(self, session: Session, events: Iterable[Event]) -> None:
        """Write the confirmations into the change's own transaction (called just before it commits)."""
        rows: list[OutboxMessage] = []
        for kwargs in self.confirmations(events):
            appointment = session.get(Appointment, kwargs['appointment_id'])
            if appointment is not None:  # the sequence lets a late confirmation see that a newer change superseded it
                kwargs['sequence'] = appointment.sequence
            rows.append(outbox.stage(session, CONFIRMATION_TASK, kwargs, appointment_id=kwargs['appointment_id']))
        self._staged.rows, self._staged.bind = rows, session.get_bind()

    def publish(self, events: Iterable[Event]) -> None:
        rows, bind = getattr(self._staged, 'rows', None), getattr(self._staged, 'bind', None)
        self._staged.rows = self._staged.bind = None
        if rows is None or not isinstance(bind, Engine):  # not staged (no unit of work): send directly, best effort
            for kwargs in self.confirmations(events):
                self.send(CONFIRMATION_TASK, kwargs)
            return
        if rows and self._answers():
            self.dispatch(bind, ids=[row.id for row in rows if row.id is not None])

    def _answers(self) -> bool:
        """Whether Redis answers a PING at once: a request never pays the broker's retries on a Redis that is down."""
        if self.settings.redis_url is None:
            return False
        if self._probe is None:
            self._probe = redis.Redis.from_url(
                self.settings.redis_url,
                socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                socket_timeout=PROBE_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
        try:
            self._probe.ping()
        except (redis.RedisError, OSError) as error:
            if not self._down:
                logger.warning('outbox: Redis unreachable (%s); confirmations wait in the outbox', type(error).__name__)
            self._down = True
            return False
        if self._down:
            logger.info('outbox: Redis reachable again; handing over what waited')
        self._down = False
        return True

    def dispatch(self, bind: Engine, *, ids: list[int] | None = None) -> None:
        """Hand these rows to the broker now; once that works, also those left waiting by an earlier outage."""
        with UnitOfWork(sessionmaker(bind, expire_on_commit=False)) as uow:
            drained = outbox.dispatch(uow, self.send, ids=ids)
            if drained.failed:
                logger.warning('outbox: the broker refused; %d task(s) wait for the next attempt', drained.left)
                return
            if ids is not None and drained.left:  # the broker is back: catch up on what waited meanwhile
                outbox.dispatch(uow, self.send)

    def send(self, task: str, kwargs: dict[str, Any]) -> None:
        self.producer.send(task, kwargs)

    def close(self) -> None:
        self.producer.close()
        if self._probe is not None:
            self._probe.close()
            self._probe = None


class CompositePublisher:
    """Publishes to each publisher in turn; a failure is logged once (until that publisher works again)."""

    def __init__(self, publishers: Sequence[Publisher]) -> None:
        self.publishers = list(publishers)
        self._failing: set[int] = set()

    def stage(self, session: Session, events: Iterable[Event]) -> None:
        """Let publishers that keep an outbox write it into the transaction about to commit (errors fail the commit)."""
        events = list(events)
        for publisher in self.publishers:
            stage = getattr(publisher, 'stage', None)
            if callable(stage):
                stage(session, events)

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
