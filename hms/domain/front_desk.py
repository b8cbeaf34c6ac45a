"""Commands of the front desk acting for a patient: booking, moving and cancelling on their behalf, and walk-ins.

Always with a reason (the shared text rule of hms.domain.text, several lines allowed); a double-booking of a taken
slot only with ``overbook`` and an ``override_reason``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from hms.i18n import _

from .scheduling import Id, Moment
from .schemas import Command
from .text import MULTI_LINE

RequiredReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), MULTI_LINE]
OverrideReason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), MULTI_LINE]


class DeskBookingIn(Command):
    patient_id: Id
    doctor_id: Id
    start: Moment = Field(description="ISO 8601 with offset; one of the doctor's slots (taken ones only with overbook)")
    reason: RequiredReason = Field(description='why the patient comes (required)')
    overbook: bool = Field(
        default=False, description='true: double-book a taken slot (needs override_reason); shown as overbooked'
    )
    override_reason: OverrideReason | None = Field(default=None, description='why the slot is double-booked')

    @model_validator(mode='after')
    def _override_has_reason(self) -> DeskBookingIn:
        if self.overbook and not (self.override_reason or '').strip():
            raise ValueError(_('Give the reason for double-booking this slot.'))
        return self


class DeskRescheduleIn(Command):
    start: Moment = Field(description="ISO 8601 with offset; one of the doctor's free slots")
    reason: RequiredReason = Field(description='why the appointment moves (required; kept in the audit trail)')


class DeskCancelIn(Command):
    reason: RequiredReason = Field(description='the reason the patient will see (required)')


class WalkInIn(Command):
    patient_id: Id
    doctor_id: Id
    reason: RequiredReason = Field(description='why the patient comes (required)')
