"""The waiting-room board at ``/board/<secret>``: a full-screen page for a screen in the waiting room, opened by the
device link the admin created (no personal account is signed in on a public screen).

It shows ticket codes, doctors and estimated waits, never a name. Every change of an appointment, a doctor or a
department reaches it pushed through the process's event hub (no polling), and the board is read again; when a ticket
is called in, the browser plays a short chime once sound was enabled on the screen (browsers allow sound only after a
gesture: the "Enable sound" button). When its link is revoked, the screen says so at once.

The secret is in the address: the access log writes the path without it, and an unknown, malformed or revoked secret
gets the same "no page at this address" answer (404)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, time, timedelta

from nicegui import background_tasks, context, ui

from hms import clock
from hms import context as app_context
from hms.domain.errors import NotFound
from hms.events import Event
from hms.i18n import _, ngettext
from hms.services import boards
from hms.services.boards import BoardView, DoctorQueue

from ..ui import formats, theme
from ..ui.live import follow_changes, left
from ..ui.secret_paths import hide_in_access_log
from ..ui.services import call

BOARD_PATH = boards.BOARD_PREFIX + '{secret}'
REFRESH_DELAY = 0.1  # seconds: a burst of changes (a call-in is two) becomes one read, well within a second

CHIME = 'window.hmsBoard && window.hmsBoard.chime()'
CHIME_TIMEOUT = 5.0  # seconds
# High contrast on a dark screen, readable across a room: white and slate 200 on slate 950/800 (over 12:1), amber 300
# for the tickets being called (over 12:1).
BACKGROUND = '#020617'
CARD = '#1e293b'
INK = '#ffffff'
QUIET_INK = '#e2e8f0'
CALLING_INK = '#fcd34d'
CSS = f"""
body.hms-board {{ background: {BACKGROUND}; color: {INK}; }}
.hms-board .hms-card {{ background: {CARD}; color: {INK}; border-radius: 1rem; }}
.hms-board .hms-quiet {{ color: {QUIET_INK}; }}
.hms-board .hms-calling {{ color: {CALLING_INK}; }}
.hms-board .hms-ticket {{ font-variant-numeric: tabular-nums; letter-spacing: 0.04em; }}
"""
# The chime: two short sine tones from the Web Audio API, played only once the screen's sound was enabled by a click.
SCRIPT = """
<script>
window.hmsBoard = {
  audio: null, enabled: false, played: 0,
  toggle() {
    this.enabled = !this.enabled;
    if (this.enabled) {
      const Audio = window.AudioContext || window.webkitAudioContext;
      if (!Audio) { this.enabled = false; return false; }
      this.audio = this.audio || new Audio();
      this.audio.resume();
      this.chime();
    }
    return this.enabled;
  },
  chime() {
    if (!this.enabled || !this.audio) return;
    const start = this.audio.currentTime;
    [660, 880].forEach((frequency, index) => {
      const at = start + index * 0.3, tone = this.audio.createOscillator(), gain = this.audio.createGain();
      tone.type = 'sine';
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.55);
      tone.connect(gain).connect(this.audio.destination);
      tone.start(at);
      tone.stop(at + 0.6);
    });
    this.played += 1;
  },
};
</script>
"""


def create() -> None:
    hide_in_access_log(boards.BOARD_PREFIX)

    @ui.page(BOARD_PATH)
    async def board_page(secret: str) -> None:
        try:
            view = await call(boards.board_view, secret)
        except NotFound:  # malformed, unknown or revoked: one answer, no hint
            _not_valid()
            return
        screen = BoardScreen(secret, view)
        follow_changes(screen.on_event)


def _dress(title: str) -> None:
    """The board's look (dark, high contrast, large type), its title, and nothing for search engines."""
    theme.apply()
    ui.add_css(CSS)
    ui.add_head_html(SCRIPT + '<meta name="robots" content="noindex, nofollow">')
    ui.query('body').classes('hms-board')
    ui.page_title(title)


def _not_valid() -> None:
    """The answer to an address that is no board (any more): a 404 that says what to do, and nothing else."""
    context.client.status_code = 404
    title = _("This board's address is not valid")
    _dress(title)
    with ui.column().classes('w-full min-h-screen p-6 gap-4'):
        ui.label(title).classes('text-5xl font-bold').props('role=heading aria-level=1').mark('board-not-valid')
        ui.label(_('Ask the clinic staff for a new link.')).classes('hms-quiet text-3xl')


def _minutes(value: int) -> str:
    return ngettext('about {n} minute', 'about {n} minutes', value)


class BoardScreen:
    """One open board: what it shows, and its refresh when a change that concerns it is announced."""

    def __init__(self, secret: str, view: BoardView) -> None:
        self.secret, self.view = secret, view
        self.refresh_pending = False
        self.revoked = False
        self.chimes = 0  # how many times this screen asked the browser to chime (a ticket was called in)
        self.closed = False  # the browser left: a refresh under way draws nothing
        context.client.on_delete(self._close)
        self.calling_seen = self._calling_keys(view)
        _dress(view.title)
        with ui.column().classes('w-full min-h-screen p-6 gap-6'):
            with ui.row().classes('w-full items-center justify-between gap-4 no-wrap'):
                self.title = ui.label(view.title).classes('text-5xl font-bold').mark('board-title')
                self.title.props('role=heading aria-level=1')
                self.sound = ui.button(_('Enable sound'), icon='volume_off').mark('board-sound')
                self.sound.props('no-caps size=lg color=white text-color=black unelevated')
                self.sound.on('click', self._sound_changed, js_handler='() => emit(window.hmsBoard.toggle())')
            self.body = ui.column().classes('w-full gap-6')
            self.updated = ui.label('').classes('hms-quiet text-lg').mark('board-updated')
        self.show(view)
        self._at_next_day()

    def _at_next_day(self) -> None:
        """Read the board again just after the clinic's midnight: yesterday's queue leaves the screen without any
        change being announced (one timer per day, not polling)."""
        zone = app_context.get().settings.zone
        now = clock.now().astimezone(zone)
        midnight = datetime.combine(now.date() + timedelta(days=1), time(0, 0, 5), tzinfo=zone)
        ui.timer((midnight - now).total_seconds(), self._new_day, once=True)

    async def _new_day(self) -> None:
        if self.revoked or self.gone:
            return
        await self._refresh_soon()
        if not (self.revoked or self.gone):
            with self.body:
                self._at_next_day()

    @staticmethod
    def _calling_keys(view: BoardView) -> set[tuple[str, int, str]]:
        return {(item.ticket, item.doctor_id, item.called_at.isoformat()) for item in view.calling}

    def _close(self) -> None:
        self.closed = True

    @property
    def gone(self) -> bool:
        """Whether the page is gone (its browser left): nothing is drawn then."""
        return self.closed or left(self.body)

    def _sound_changed(self, event: object) -> None:
        enabled = bool(getattr(event, 'args', False))
        self.sound.text = _('Sound on') if enabled else _('Enable sound')
        self.sound.props(f'icon={"volume_up" if enabled else "volume_off"}')

    def show(self, view: BoardView) -> None:
        self.view = view
        self.title.text = view.title
        self.body.clear()
        with self.body:
            self._calling(view)
            self._queues(view)
        self.updated.text = _('Updated at {time}', time=formats.time_of_day(view.updated_at))

    def _calling(self, view: BoardView) -> None:
        with ui.element('section').classes('w-full').props('aria-labelledby=board-calling-heading'):
            heading = ui.label(_('Now calling')).classes('text-4xl font-semibold mb-3')
            heading.props('role=heading aria-level=2 id=board-calling-heading')
            # Announced by screen readers as it changes.
            with ui.column().classes('w-full gap-3').props('role=status aria-live=polite').mark('board-calling'):
                if not view.calling:
                    ui.label(_('No one is being called in right now.')).classes('hms-quiet text-3xl')
                for index, item in enumerate(view.calling):
                    size = 'text-7xl' if index == 0 else 'text-5xl'
                    with ui.row().classes('hms-card w-full items-center gap-6 px-6 py-4 no-wrap'):
                        ui.label(item.ticket).classes(f'hms-calling hms-ticket font-extrabold {size}')
                        ui.label(_('to {doctor}', doctor=item.doctor)).classes(f'font-semibold {size}')

    def _queues(self, view: BoardView) -> None:
        with ui.element('section').classes('w-full').props('aria-labelledby=board-waiting-heading'):
            heading = ui.label(_('Waiting')).classes('text-4xl font-semibold mb-3')
            heading.props('role=heading aria-level=2 id=board-waiting-heading')
            if not view.doctors:
                ui.label(_('No doctor sees patients here today.')).classes('hms-quiet text-3xl')
            with ui.element('div').classes('w-full grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-4'):
                for queue in view.doctors:
                    self._queue(queue)

    @staticmethod
    def _queue(queue: DoctorQueue) -> None:
        with ui.column().classes('hms-card p-5 gap-3').mark(f'board-doctor-{queue.doctor_id}'):
            ui.label(queue.doctor).classes('text-4xl font-semibold').props('role=heading aria-level=3')
            ui.label(queue.department).classes('hms-quiet text-2xl')
            if queue.in_consultation:
                ui.label(_('In consultation: {tickets}', tickets=', '.join(queue.in_consultation))).classes(
                    'text-2xl hms-ticket'
                )
            if queue.waiting:
                with ui.row().classes('gap-3').mark(f'board-waiting-{queue.doctor_id}'):
                    for waiting in queue.waiting:
                        ticket = ui.label(waiting.ticket).classes('hms-ticket text-4xl font-bold')
                        ticket.props['aria-label'] = _(
                            'Ticket {ticket}, {minutes}',
                            ticket=waiting.ticket,
                            minutes=_minutes(waiting.estimated_minutes),
                        )
            else:
                ui.label(_('No one waiting.')).classes('hms-quiet text-2xl')
            ui.label(_('Estimated wait: {minutes}', minutes=_minutes(queue.estimated_wait_minutes))).classes(
                'text-2xl font-medium'
            ).mark(f'board-estimate-{queue.doctor_id}')

    def show_revoked(self) -> None:
        self.revoked = True
        self.body.clear()
        self.sound.set_visibility(False)
        self.updated.text = ''
        with self.body:
            with ui.column().classes('hms-card w-full p-8 gap-4').props('role=alert').mark('board-revoked'):
                ui.label(_("This screen's link was revoked.")).classes('text-5xl font-bold')
                ui.label(_('Ask the clinic staff for a new link.')).classes('hms-quiet text-3xl')

    def on_event(self, event: Event) -> None:
        """Called by the event hub for every change; a change that concerns this board reads it again, once per
        burst of changes."""
        if self.revoked or self.gone or not boards.concerns(event.kind, event.data, self.view.board_id):
            return
        if event.kind == boards.REVOKED_EVENT:
            self.show_revoked()
            return
        if self.refresh_pending:
            return
        self.refresh_pending = True
        background_tasks.create(self._refresh_soon(), name='board-refresh')

    async def _refresh_soon(self) -> None:
        await asyncio.sleep(REFRESH_DELAY)
        self.refresh_pending = False
        if self.revoked or self.gone:
            return
        try:
            view = await call(boards.board_view, self.secret)
        except NotFound:  # revoked meanwhile (its own event may be on its way, or was missed)
            if not self.gone:
                self.show_revoked()
            return
        if self.revoked or self.gone:
            return
        called = self._calling_keys(view) - self.calling_seen
        self.calling_seen = self._calling_keys(view)
        self.show(view)
        if called:
            self.chime()

    def chime(self) -> None:
        """Ask the browser to play the chime (it does once sound was enabled on the screen)."""
        self.chimes += 1
        background_tasks.create(self._play(), name='board-chime')

    async def _play(self) -> None:
        # Awaited (a screen that answers is a screen that heard it); a screen that does not answer in time is let be.
        with contextlib.suppress(TimeoutError):
            await self.body.client.run_javascript(CHIME, timeout=CHIME_TIMEOUT)
