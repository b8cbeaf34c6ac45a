"""A doctor's calendar subscription: the section of their account page that creates (showing the address once) and
revokes it, and the feed itself at ``/calendar/<secret>.ics``, which calendar apps fetch without any session.

The secret is in the address, so the web server's access log would write it down: that log shows the path with the
secret replaced."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from nicegui import app, ui

from hms import context as app_context
from hms.domain.errors import DomainError, NotFound
from hms.i18n import _
from hms.services import calendars
from hms.services.calendars import FeedStatus, NewFeed
from hms.services.principal import Principal

from ..components.dialogs import ConfirmDialog
from ..components.sections import section
from ..ui import formats, theme
from ..ui.actions import attempt
from ..ui.secret_paths import hide_in_access_log
from ..ui.services import call

FEED_PREFIX = '/calendar/'
FEED_PATH = FEED_PREFIX + '{secret}.ics'


def create() -> None:
    register(app)


def register(web: FastAPI) -> None:
    """Add the feed's route to ``web`` (the NiceGUI app; tests use a bare FastAPI app)."""
    hide_in_access_log(FEED_PREFIX)

    @web.get(FEED_PATH, include_in_schema=False)
    async def calendar_feed(secret: str) -> Response:
        try:
            found = await call(calendars.feed_calendar, secret)
        except NotFound:  # malformed, unknown or revoked: one answer, no hint
            return PlainTextResponse('Not Found', status_code=404, headers={'Cache-Control': 'no-store'})
        return Response(found.content, media_type=found.media_type, headers={'Cache-Control': 'private, no-store'})


def feed_address(secret: str) -> str:
    """The feed's full address, under the address users reach (HMS_PUBLIC_URL), like every other link."""
    return app_context.get().settings.link(f'{FEED_PREFIX}{secret}.ics')


class FeedSection:
    """The "Calendar subscription" card of a doctor's account page."""

    def __init__(self, status: FeedStatus) -> None:
        with section(_('Calendar subscription'), marker='calendar-feed'):
            ui.label(
                _(
                    'Subscribe to your appointments in your calendar app. The calendar shows times and patients’ '
                    'initials only. Anyone who has the address can read it: keep it to yourself, and revoke it if it '
                    'was shared by mistake.'
                )
            ).classes(theme.SUBTLE)
            self.body = ui.column().classes('w-full gap-2')
        self.show(status)

    def show(self, status: FeedStatus, created: NewFeed | None = None) -> None:
        self.body.clear()
        with self.body:
            if created is not None:
                self._new_address(created)
            if status.active and status.created_at is not None:
                ui.label(_('Active since {when}.', when=formats.moment(status.created_at))).mark('feed-active')
            else:
                ui.label(_('No subscription address at the moment.')).mark('feed-none')
            with ui.row().classes('gap-2'):
                label = _('Create a new address') if status.active else _('Create a subscription address')
                create = ui.button(label, icon='add_link', on_click=lambda: self._create(status.active))
                create.props('outline no-caps').mark('create-feed')
                if status.active:
                    revoke = ui.button(_('Revoke the address'), icon='link_off', on_click=self._revoke)
                    revoke.props('flat no-caps color=negative').mark('revoke-feed')

    def _new_address(self, created: NewFeed) -> None:
        address = feed_address(created.secret)
        with ui.column().classes('w-full gap-1 ' + theme.INFO_BANNER).props('role=status'):
            ui.label(_('Copy this address into your calendar app now: it is shown only this once.'))
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                field = ui.input(_('Subscription address'), value=address).props('readonly outlined dense')
                field.classes('flex-1').mark('feed-address')
                copy = ui.button(_('Copy'), icon='content_copy', on_click=lambda: self._copy(address))
                copy.props('no-caps').mark('copy-feed')
                copy.props['aria-label'] = _('Copy the subscription address')

    @staticmethod
    def _copy(address: str) -> None:
        ui.clipboard.write(address)
        ui.notify(_('Address copied.'), type='positive')

    async def _create(self, replaces: bool) -> None:
        if replaces:
            dialog = ConfirmDialog(
                _('Create a new subscription address?'),
                _('Yes, create a new address'),
                dismiss=_('Keep the current address'),
                marker='replace-feed-dialog',
                confirm_marker='confirm-replace-feed',
            )
            with dialog:
                ui.label(_('The current address stops working at once; calendars that use it need the new one.'))
            dialog.ask(lambda: dialog.attempt(_create_feed), then=self._after_create)
            return
        created = await attempt(_create_feed)
        if created is not None:
            await self._after_create(created)

    async def _after_create(self, created: NewFeed) -> None:
        self.show(FeedStatus(active=True, created_at=created.created_at), created)

    async def _revoke(self) -> None:
        dialog = ConfirmDialog(
            _('Revoke the subscription address?'),
            _('Yes, revoke it'),
            dismiss=_('Keep it'),
            color='negative',
            marker='revoke-feed-dialog',
            confirm_marker='confirm-revoke-feed',
        )
        with dialog:
            ui.label(_('Calendars that use it stop receiving your appointments.'))

        async def revoke() -> bool | None:
            return await dialog.attempt(lambda actor: call(calendars.revoke_feed, actor))

        async def revoked(_done: bool) -> None:
            with self.body:
                ui.notify(_('Subscription address revoked.'), type='positive')
            self.show(FeedStatus(active=False))

        dialog.ask(revoke, then=revoked)


async def _create_feed(actor: Principal) -> NewFeed:
    return await call(calendars.create_feed, actor)


async def feed_section(principal: Principal) -> None:
    try:
        status = await call(calendars.feed_status, principal)
    except DomainError:
        return
    FeedSection(status)
