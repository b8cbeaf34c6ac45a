"""The administrator's Outbox at /admin/outbox: in development (no SMTP server configured) every email goes to a
local SMTP sink that keeps it; this page lists them and shows a message's HTML.

The HTML is never put into the page: it holds names typed by users, so it is shown in an iframe with an empty
``sandbox`` (no scripts, a unique origin, no forms, no navigation of this page), given as ``srcdoc`` through a
Vue property (never parsed as part of this page's markup)."""

from __future__ import annotations

from nicegui import events, ui

from hms import context as app_context
from hms.domain.enums import Role
from hms.notify.sink import OutboxMessage
from hms.services import jobs_admin, notices
from hms.services.principal import Principal

from ..components.tables import column, columns
from ..ui import theme
from ..ui.access import role_page
from ..ui.actions import acting, attempt
from ..ui.frame import frame
from ..ui.services import in_thread

PATH = '/admin/outbox'
COLUMNS = [
    *columns(('received', 'Received'), ('to', 'To'), ('subject', 'Subject'), ('attachments', 'Attachments')),
    column('actions', '', align='right', field='name'),
]
SHOW_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense no-caps color="primary" icon="visibility" label="Show"
         :aria-label="'Show the message ' + props.row.subject" @click="() => $parent.$emit('show', props.row)" />
</q-td>
"""


async def _messages(actor: Principal) -> list[OutboxMessage]:
    return await in_thread(jobs_admin.outbox, app_context.get().settings, actor)


def create() -> None:
    @role_page(PATH, Role.ADMIN)
    async def outbox_page(principal: Principal) -> None:
        settings = app_context.get().settings
        if not settings.sends_through_sink:
            with frame(principal, 'Outbox', current_path=PATH):
                ui.label(
                    f'Mail goes to the configured SMTP server ({settings.smtp_host}:{settings.smtp_port}); there is '
                    'no local outbox. The Jobs page shows every delivery.'
                ).classes(theme.INFO_BANNER).mark('outbox-server')
            return
        messages = await _messages(principal)
        with frame(principal, 'Outbox', current_path=PATH):
            _OutboxPanel(messages)


class _OutboxPanel:
    def __init__(self, messages: list[OutboxMessage]) -> None:
        ui.label(
            'No SMTP server is configured, so email is not sent: a local mail sink keeps every message here instead.'
        ).classes(theme.INFO_BANNER)
        with ui.row().classes('w-full items-center justify-between'):
            self.summary = ui.label('').classes(theme.SUBTLE).mark('outbox-summary')
            ui.button('Refresh', icon='refresh', on_click=self.reload).props('flat no-caps').mark('outbox-refresh')
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='name').classes('w-full')
        self.table.props('flat bordered dense wrap-cells').mark('outbox-table')
        self.table.add_slot('body-cell-actions', SHOW_SLOT)
        self.table.on('show', self.open)
        with ui.card().classes(theme.CARD).mark('outbox-preview') as self.preview:
            self.heading = ui.label('').classes('text-base font-medium').props('role=heading aria-level=2')
            self.frame = ui.element('iframe').classes('w-full h-[70vh] rounded border bg-white').mark('outbox-frame')
            # Set as properties, not through a props string: no quoting to get wrong, and an empty sandbox.
            self.frame.props['sandbox'] = ''
            self.frame.props['referrerpolicy'] = 'no-referrer'
            self.frame.props['title'] = 'The selected message'
        self.preview.set_visibility(False)
        self.show(messages)

    def show(self, messages: list[OutboxMessage]) -> None:
        zone = app_context.get().settings.zone
        self.table.rows = [
            {
                'name': m.name,
                'received': notices.when(m.received_at, zone),
                'to': m.to,
                'subject': m.subject,
                'attachments': ', '.join(m.attachments) or '–',
            }
            for m in messages
        ]
        self.table.update()
        count = f'{len(messages)} message' + ('' if len(messages) == 1 else 's')
        self.summary.text = f'{count}, newest first' if messages else 'No messages yet.'

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
        self.heading.text = f'{row.get("subject", "")} · to {row.get("to", "")}'
        self.frame.props['srcdoc'] = html or '<p>This message has no HTML part.</p>'
        self.preview.set_visibility(True)
