"""One-tap links from messages (confirm, cancel or reschedule an appointment; accept an offer; take a rescue slot):
public, the signed token in the path is the authority. Reading a link changes nothing; only POST acts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from hms.api.deps import Context
from hms.api.problems import problem_responses
from hms.api.schemas import ClinicTime, SlotOut, ViewModel
from hms.services import action_links
from hms.services.action_links import Description, LinkAppointment, LinkState, Outcome

router = APIRouter(prefix='/links', tags=['links'])

Token = Annotated[str, Path(max_length=2000, description='the token of a `/a/<token>` link')]


class LinkAppointmentOut(ViewModel):
    """The appointment (or the offered slot) as a link shows it: no reason for the visit, nothing clinical."""

    id: int | None
    doctor_id: int
    doctor_name: str
    department_name: str
    start: ClinicTime
    end: ClinicTime
    status: str = Field(description="the appointment's status ('booked', 'cancelled', …), or what the slot is")
    confirmed_at: ClinicTime | None = Field(default=None, description='when the patient confirmed they will come')


class LinkOut(BaseModel):
    action: str | None = Field(description="what the link does: 'confirm', 'cancel', 'reschedule', 'offer', 'rescue'")
    valid: bool = Field(description='whether POST would act now')
    reason: str | None = Field(
        default=None, description="why not: 'tampered', 'used', 'expired' or 'superseded'; null when valid"
    )
    message: str | None = Field(default=None, description='the reason explained, in the language asked for')
    appointment: LinkAppointmentOut | None = Field(default=None, description='null for a tampered link')
    slots: list[SlotOut] | None = Field(default=None, description='reschedule: the free times to choose from')
    extra: dict[str, Any] = Field(default_factory=dict, description="the action's own details, if any")

    @classmethod
    def of(cls, state: LinkState, context: Context) -> LinkOut:
        return cls(
            action=state.action,
            valid=state.valid,
            reason=str(state.reason) if state.reason else None,
            message=state.message,
            **_described(state.description, context),
        )


class LinkResultOut(BaseModel):
    action: str
    message: str = Field(description='what was done, in the language asked for')
    appointment: LinkAppointmentOut | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class LinkActionIn(BaseModel):
    model_config = ConfigDict(extra='forbid')

    start: datetime | None = Field(
        default=None, description='reschedule: the new start, one of the free times of `GET /api/links/{token}`'
    )


def _appointment(view: LinkAppointment | None, context: Context) -> LinkAppointmentOut | None:
    return LinkAppointmentOut.from_view(view, context.settings.zone) if view is not None else None


def _described(description: Description, context: Context) -> dict[str, Any]:
    zone = context.settings.zone
    slots = None
    if description.slots is not None:
        slots = [SlotOut.model_validate({'start': s, 'end': e}, context={'zone': zone}) for s, e in description.slots]
    return {'appointment': _appointment(description.appointment, context), 'slots': slots, 'extra': description.extra}


@router.get('/{token}', summary='Read a one-tap link', responses=problem_responses(422))
def read_link(token: Token, ctx: Context) -> LinkOut:
    """Public: what the link does, whether it can still be used (and why not), and its appointment. Changes
    nothing, so a mail scanner opening the link does no harm."""
    with ctx.uow() as uow:
        return LinkOut.of(action_links.inspect(uow, ctx.settings, token), ctx)


@router.post(
    '/{token}',
    summary='Use a one-tap link',
    responses=problem_responses(
        400,
        404,
        409,
        410,
        422,
        described={
            400: 'The link is not one this clinic sent (link_tampered)',
            409: 'Used already (link_used), the appointment changed (link_superseded), or no longer possible',
            410: 'The link expired (link_expired)',
            422: 'reschedule: no valid `start`, or not a free time',
        },
    ),
)
def use_link(token: Token, ctx: Context, body: LinkActionIn | None = None) -> LinkResultOut:
    """Public: do what the link says, once (of two uses at the same moment one wins, the other gets 409).
    Reschedule takes `{start}`; the same limits apply as on the patient's own pages."""
    data: dict[str, Any] = {'start': body.start} if body is not None and body.start is not None else {}
    with ctx.uow() as uow:
        outcome: Outcome = action_links.perform(uow, ctx.settings, token, data)
        claims = action_links.read_token(ctx.settings, token)
        return LinkResultOut(
            action=claims.action if claims else '',
            message=outcome.message,
            appointment=_appointment(outcome.appointment, ctx),
            extra=outcome.extra,
        )
