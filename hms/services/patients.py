"""Patients as the administrator sees them: search, details with appointments, contact details."""

from __future__ import annotations

from hms.db.uow import UnitOfWork
from hms.domain.criteria import AppointmentFilter, PatientSort
from hms.domain.enums import Role
from hms.domain.errors import NotFound
from hms.domain.scheduling import PatientContactPatch
from hms.i18n import N_, _

from . import accounts, audit
from .appointments import views
from .principal import Principal, require_role
from .sorting import sort_key
from .views import Page, PatientDetail, PatientView


def search_patients(
    uow: UnitOfWork,
    actor: Principal,
    text: str | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    sort: str = PatientSort.NAME,
    descending: bool = False,
) -> Page[PatientView]:
    """By name, patient ID, email or phone: partial and case-insensitive; ordered by one of ``PatientSort``."""
    require_role(actor, Role.ADMIN, refusal=N_('Your role does not allow you to search patients.'))
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    order = sort_key(PatientSort, sort)
    text = (text or '').strip() or None
    rows, total = uow.patients.search(text, limit=limit, offset=offset, sort=order, descending=descending)
    return Page(items=[PatientView.of(row) for row in rows], total=total, limit=limit, offset=offset)


def patient_detail(uow: UnitOfWork, actor: Principal, patient_id: int) -> PatientDetail:
    require_role(actor, Role.ADMIN, refusal=N_("Your role does not allow you to read a patient's details."))
    profile = uow.patients.get(patient_id)
    if profile is None:
        raise NotFound(_('No such patient.'))
    appointments = uow.appointments.find(AppointmentFilter(patient_id=patient_id), newest_first=True, limit=500)
    audit.record(
        uow, 'patient.viewed', actor=actor, object_type='patient', object_id=patient_id, subject_user_id=patient_id
    )
    uow.commit()
    return PatientDetail(patient=PatientView.of(profile), appointments=views(uow, appointments))


def update_contact(uow: UnitOfWork, actor: Principal, patient_id: int, patch: PatientContactPatch) -> PatientView:
    require_role(actor, Role.ADMIN, refusal=N_("Your role does not allow you to edit a patient's contact details."))
    profile = uow.patients.get(patient_id)
    if profile is None:
        raise NotFound(_('No such patient.'))
    changes = patch.model_dump(exclude_unset=True)
    if changes.get('email') is not None:
        profile.user.email = accounts.available_email(uow, changes['email'], owner_id=patient_id)
    if changes.get('name') is not None:
        profile.user.name = changes['name']
    for field in ('phone', 'address'):
        if changes.get(field) is not None:
            setattr(profile, field, changes[field])
    if 'emergency_contact' in changes:
        profile.emergency_contact = changes['emergency_contact'] or None
    audit.record(
        uow,
        'patient.updated',
        actor=actor,
        object_type='patient',
        object_id=patient_id,
        subject_user_id=patient_id,
        detail={'fields': sorted(changes)},
    )
    uow.commit()
    return PatientView.of(profile)
