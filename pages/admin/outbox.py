"""The administrator's Outbox at /admin/outbox: in development (no SMTP server configured) every email goes to a
local SMTP sink that keeps it; this page lists them and shows a message's HTML.

The HTML is never put into the page: it holds names typed by users, so it is shown in an iframe with an empty
``sandbox`` (no scripts, a unique origin, no forms, no navigation of this page), given as ``srcdoc`` through a
Vue property (never parsed as part of this page's markup)."""

from __future__ import annotations

from html import escape

from nicegui import events, ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.i18n import N_, _, ngettext
from hms.notify.sink import OutboxMessage
from hms.services import jobs_admin
from hms.services.principal import Principal

from ..components.tables import column, columns, translated
from ..ui import formats, theme
from ..ui.access import role_page
from ..ui.actions import acting, attempt
from ..ui.frame import frame
from ..ui.services import in_thread

PATH = '/admin/outbox'
COLUMNS = [
    *columns(
        ('received', N_('Received')),
        ('to', N_('Recipient')),
        ('subject', N_('Subject')),
        ('attachments', N_('Attachments')),
    ),
    column('actions', '', align='right', field='name'),
]
SHOW_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense no-caps color="primary" icon="visibility" label="{show}"
         :aria-label="props.row.show_label" @click="() => $parent.$emit('show', props.row)" />
</q-td>
"""


def _show_slot() -> str:
    """Each message's Show button; its accessible name (naming the subject) comes with the row."""
    return SHOW_SLOT.format(show=escape(_('Show')))


async def _messages(actor: Principal) -> list[OutboxMessage]:
    return await in_thread(jobs_admin.outbox, app_context.get().settings, actor)


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def outbox_page(principal: Principal) -> None:
        settings = app_context.get().settings
        if not settings.sends_through_sink:
            with frame(principal, N_('Outbox'), current_path=PATH):
                ui.label(
                    _(
                        'Mail goes to the configured SMTP server ({host}:{port}); there is no local outbox. The Jobs '
                        'page shows every delivery.',
                        host=settings.smtp_host,
                        port=settings.smtp_port,
                    )
                ).classes(theme.INFO_BANNER).mark('outbox-server')
            return
        messages = await _messages(principal)
        with frame(principal, N_('Outbox'), current_path=PATH):
            _OutboxPanel(messages)


class _OutboxPanel:
    def __init__(self, messages: list[OutboxMessage]) -> None:
        ui.label(
            _('No SMTP server is configured, so email is not sent: a local mail sink keeps every message here instead.')
        ).classes(theme.INFO_BANNER)
        with ui.row().classes('w-full items-center justify-between'):
            self.summary = ui.label('').classes(theme.SUBTLE).mark('outbox-summary')
            ui.button(_('Refresh'), icon='refresh', on_click=self.reload).props('flat no-caps').mark('outbox-refresh')
        self.table = ui.table(columns=translated(COLUMNS), rows=[], row_key='name').classes('w-full')
        self.table.props('flat bordered dense wrap-cells').mark('outbox-table')
        self.table.add_slot('body-cell-actions', _show_slot())
        self.table.on('show', self.open)
        with ui.card().classes(theme.CARD).mark('outbox-preview') as self.preview:
            self.heading = ui.label('').classes('text-base font-medium').props('role=heading aria-level=2')
            self.frame = ui.element('iframe').classes('w-full h-[70vh] rounded border bg-white').mark('outbox-frame')
            # Set as properties, not through a props string: no quoting to get wrong, and an empty sandbox.
            self.frame.props['sandbox'] = ''
            self.frame.props['referrerpolicy'] = 'no-referrer'
            self.frame.props['title'] = _('The selected message')
        self.preview.set_visibility(False)
        self.show(messages)

    def show(self, messages: list[OutboxMessage]) -> None:
        self.table.rows = [
            {
                'name': m.name,
                'received': formats.moment(m.received_at),
                'to': m.to,
                'subject': m.subject,
                'attachments': ', '.join(m.attachments) or '–',
                'show_label': _('Show the message {subject}', subject=m.subject),
            }
            for m in messages
        ]
        self.table.update()
        if messages:
            self.summary.text = ngettext('{n} message, newest first', '{n} messages, newest first', len(messages))
        else:
            self.summary.text = _('No messages yet.')

    async def reload(self) -> None:
        actor = await acting(PATH)
        if actor is not None:
            self.show(await _messages(actor))

    async def open(self, event: events.GenericEventArguments) -> None:
        row = event.args if isinstance(event.args, dict) else {}
        settings, name = app_context.get().settings, str(row.get('name', ''))
        html = await attempt(lambda actor: in_thread(jobs_admin.outbox_html, settings, actor, name), path=PATH)
        if html is None:
            return
        self.heading.text = _('{subject} · to {to}', subject=row.get('subject', ''), to=row.get('to', ''))
        no_html = escape(_('This message has no HTML part.'))
        self.frame.props['srcdoc'] = html or f'<p>{no_html}</p>'
        self.preview.set_visibility(True)
