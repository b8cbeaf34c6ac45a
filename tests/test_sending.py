"""jobs/sending: every task sends a claimed delivery the same way — the delivery's Message-ID on every attempt, an
unexpected error counted as a temporary failure (retried, never lost silently), the outcome recorded once."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from hms.domain.enums import Channel
from hms.notify.message import DeliveryError, Message
from jobs import sending

MESSAGE = Message(to_email='ada@example.com', to_name='Ada', subject='Your export is ready', text='…', html='<p>…</p>')


class Retry(Exception):
    pass


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """The worker's context and the delivery records, faked: what was sent and recorded."""
    seen: dict[str, list[Any]] = {'sent': [], 'marked_sent': [], 'marked_failed': []}
    settings = SimpleNamespace(effective_storage_secret=lambda: 'a-test-secret')

    @contextmanager
    def uow():
        yield 'uow'

    ctx = SimpleNamespace(settings=settings, uow=uow)
    monkeypatch.setattr(sending, 'worker_context', lambda: ctx)
    monkeypatch.setattr(
        sending.deliveries, 'mark_sent', lambda uow, delivery_id: seen['marked_sent'].append(delivery_id)
    )
    monkeypatch.setattr(
        sending.deliveries,
        'mark_failed',
        lambda uow, delivery_id, error, *, permanent: seen['marked_failed'].append((delivery_id, error, permanent)),
    )
    return seen


def sending_with(monkeypatch: pytest.MonkeyPatch, seen: dict[str, list[Any]], failure: Exception | None) -> None:
    def send_on(channel: Channel, message: Message, settings: Any) -> None:
        seen['sent'].append(message)
        if failure is not None:
            raise failure

    monkeypatch.setattr(sending.reminders, 'send_on', send_on)


def task(retries: int) -> Any:
    def retry(**kwargs: Any) -> Retry:
        return Retry(kwargs)

    return SimpleNamespace(request=SimpleNamespace(retries=retries), retry=retry)


def test_a_sent_email_carries_its_deliverys_reference_and_is_recorded_once(
    sent: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sending_with(monkeypatch, sent, None)
    assert sending.send_email(task(0), 7, MESSAGE, {'export_id': 3}, what='export 3') == 'sent'
    assert sent['marked_sent'] == [7] and sent['marked_failed'] == []
    reference = sent['sent'][0].reference
    assert reference.startswith('hms.') and reference == sending.deliveries.message_reference(
        sending.worker_context().settings, 7
    )


def test_an_unexpected_error_is_a_temporary_failure_and_the_task_runs_again(
    sent: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sending_with(monkeypatch, sent, ValueError('a bug'))
    with pytest.raises(Retry) as retried:
        sending.send_email(task(2), 7, MESSAGE, {'export_id': 3}, what='export 3', backoff_seconds=30)
    assert retried.value.args[0]['kwargs'] == {'export_id': 3, 'delivery_id': 7}
    assert retried.value.args[0]['countdown'] == 30 * 2**2
    assert sent['marked_failed'] == [(7, 'unexpected ValueError', False)] and sent['marked_sent'] == []


def test_a_permanent_failure_or_the_last_retry_ends_it(
    sent: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sending_with(monkeypatch, sent, DeliveryError('550 no such mailbox', permanent=True))
    assert sending.send_email(task(0), 7, MESSAGE, {}, what='offer 1') == 'failed'
    sending_with(monkeypatch, sent, DeliveryError('421 try later', permanent=False))
    assert sending.send_email(task(sending.EMAIL_RETRIES), 8, MESSAGE, {}, what='offer 2') == 'failed'
    assert sent['marked_failed'] == [(7, '550 no such mailbox', True), (8, '421 try later', False)]


def test_send_once_returns_the_failure_without_recording_it(
    sent: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sending_with(monkeypatch, sent, RuntimeError('connection reset'))
    error = sending.send_once(sending.worker_context(), 9, Channel.SMS, MESSAGE)
    assert isinstance(error, DeliveryError) and not error.permanent
    assert sent['marked_failed'] == [] and sent['marked_sent'] == []
