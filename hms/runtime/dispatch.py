"""Change events that start background work: a booking, a move, a cancellation or a completed visit queues the
patient's email on Celery (a confirmation; after a visit, its documents). ``CompositePublisher`` hands the same events
to several publishers (Redis pub/sub for the open pages, Celery for the worker), so that one failing never stops the
others.

The confirmation goes through a transactional outbox (``hms.runtime.outbox``): ``stage`` writes it in the change's
own transaction (the unit of work calls it just before committing), and ``publish`` wakes this process's dispatcher
thread, which hands whatever waits to the broker in batches, off the request path: a booking is one write
transaction and no broker round trip. A broker that is down leaves the rows waiting (the dispatcher retries with
back-off, the worker's periodic drain takes them too); nothing is lost.

Tasks reach the job system through ``hms.ports.TaskQueue``, which the composition root plugs in (``hms`` never
imports ``jobs``); only the task's name and ids cross the broker (JSON), never an object.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hms.config import Settings
from hms.db.models import Appointment
from hms.db.uow import UnitOfWork
from hms.events import Event, Publisher
from hms.ports import OpenQueue, TaskQueue

from . import outbox
from .outbox import Send

logger = logging.getLogger(__name__)

# One task per change (jobs.tasks.confirmation); 'hms.appointment_email' (two tasks) still takes rows written before
CONFIRMATION_TASK = 'hms.confirmation'
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

    def send(
        self,
        task: str,
        kwargs: dict[str, Any],
        *,
        retry_policy: dict[str, float] | None = None,
        headers: dict[str, Any] | None = None,
    ) -> None:
        """Send ``task`` with ``kwargs``; broker errors propagate (the caller decides what waiting means)."""
        if self._open is None:
            raise RuntimeError('no task queue is plugged in')
        with self._lock:  # one producer set-up per process; sending is quick
            if self._queue is None:
                self._queue = self._open()
            queue = self._queue
        queue.send_task(
            task,
            kwargs=kwargs,
            ignore_result=True,
            retry=True,
            retry_policy=retry_policy or PUBLISH_RETRY_POLICY,
            headers=headers,
        )

    def close(self) -> None:
        with self._lock:
            if self._queue is not None:
                self._queue.close()
                self._queue = None


class OutboxDispatcher:
    """This process's one thread that hands committed outbox rows to the broker, off the request path.

    A commit that staged rows only ``wake``s it (setting an event costs microseconds); the thread then claims
    whatever waits, in batches, so a burst of bookings shares a few claim/mark transactions and broker round trips.
    While the broker fails, it tries again after 1 s, 2 s, 4 s … up to ``MAX_RETRY_SECONDS`` (the worker's periodic
    drain covers a process that stops meanwhile: nothing is lost, nothing is sent twice)."""

    MAX_RETRY_SECONDS = 30.0

    def __init__(self, engine: Engine, send: Send) -> None:
        self._factory = sessionmaker(engine, expire_on_commit=False)  # once per process, not per wake
        self._send = send
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._down = False
        self.idle = threading.Event()  # set while nothing is being handed over (tests wait on it)
        self.idle.set()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name='outbox-dispatcher', daemon=True)
                self._thread.start()
        self.idle.clear()
        self._wake.set()

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            if not self._wake.wait(timeout=delay or None):  # a retry after a failure is due
                self._wake.set()
            if self._stop.is_set():
                break
            self._wake.clear()
            delay = 0.0 if self.drain() else min(max(1.0, delay * 2), self.MAX_RETRY_SECONDS)
            if not self._wake.is_set():
                self.idle.set()

    def drain(self) -> bool:
        """Hand over everything waiting; False when the broker (or the database) failed and rows still wait."""
        try:
            with UnitOfWork(self._factory) as uow:
                while True:
                    drained = outbox.dispatch(uow, self._send, count_left=False)
                    if drained.failed:
                        raise ConnectionError('the broker refused')
                    if not drained.left:
                        break
        except Exception as error:  # the rows stay in the outbox; the next wake or retry, or the drain, takes them
            if not self._down:
                logger.warning(
                    'outbox: handing over failed (%s); confirmations wait in the outbox', type(error).__name__
                )
            self._down = True
            return False
        if self._down:
            logger.info('outbox: the broker takes tasks again; what waited was handed over')
        self._down = False
        return True

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.idle.set()


class TaskPublisher:
    """Queues ``hms.appointment_email`` for each booked, rescheduled or cancelled appointment, through the outbox.

    The rows commit with the change (``stage``); after the commit ``publish`` only wakes this process's
    ``OutboxDispatcher``. Without a ``producer`` (no job system plugged in) the rows wait in the outbox for a
    worker's drain."""

    def __init__(self, settings: Settings, producer: Producer | None = None) -> None:
        self.settings = settings
        self.producer = producer or Producer(None)
        self._staged = threading.local()  # whether this thread's unit of work staged rows, until it publishes
        self._dispatchers: dict[int, OutboxDispatcher] = {}
        self._lock = threading.Lock()

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
        staged = False
        for kwargs in self.confirmations(events):
            appointment = session.get(Appointment, kwargs['appointment_id'])
            if appointment is not None:  # the sequence lets a late confirmation see that a newer change superseded it
                kwargs['sequence'] = appointment.sequence
            outbox.stage(session, CONFIRMATION_TASK, kwargs, appointment_id=kwargs['appointment_id'])
            staged = True
        staged = session.info.pop(outbox.STAGED_FLAG, False) or staged  # rows a service staged itself (waitlist)
        self._staged.staged, self._staged.bind = staged, session.get_bind()

    def publish(self, events: Iterable[Event]) -> None:
        staged, bind = getattr(self._staged, 'staged', None), getattr(self._staged, 'bind', None)
        self._staged.staged = self._staged.bind = None
        if staged is None or not isinstance(bind, Engine):  # not staged (no unit of work): send directly, best effort
            for kwargs in self.confirmations(events):
                self.send(CONFIRMATION_TASK, kwargs)
            return
        if staged and self.producer.available:
            self.dispatcher(bind).wake()

    def dispatcher(self, engine: Engine) -> OutboxDispatcher:
        """The dispatcher of ``engine`` (one per database this process writes to)."""
        with self._lock:
            found = self._dispatchers.get(id(engine))
            if found is None:
                found = self._dispatchers[id(engine)] = OutboxDispatcher(engine, self.hand_over)
            return found

    def send(self, task: str, kwargs: dict[str, Any]) -> None:
        self.producer.send(task, kwargs)

    def hand_over(self, task: str, kwargs: dict[str, Any], row_id: int) -> None:
        """Send an outbox row's task, named in a header so that the worker that runs it marks the row done."""
        self.producer.send(task, kwargs, headers={outbox.OUTBOX_HEADER: row_id})

    def close(self) -> None:
        with self._lock:
            dispatchers, self._dispatchers = list(self._dispatchers.values()), {}
        for found in dispatchers:
            found.close()
        self.producer.close()


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
