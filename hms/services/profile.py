"""A patient's own profile: view and edit; changing the email needs the password again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hms.db.uow import UnitOfWork
from hms.domain.enums import Gender, Role
from hms.domain.errors import InvalidInput, NotFound
from hms.domain.records import EmailChange, ProfilePatch
from hms.i18n import N_, _
from hms.security.passwords import verify_password

from . import accounts, audit
from .principal import Principal, require_role


@dataclass(frozen=True)
class ProfileView:
    id: int
    name: str
    email: str
    dob: date
    gender: Gender
    phone: str
    address: str
    blood_group: str | None
    allergies: str | None
    emergency_contact: str | None


def get_profile(uow: UnitOfWork, actor: Principal) -> ProfileView:
    require_role(actor, Role.PATIENT, refusal=N_('Your role does not allow you to read a patient profile.'))
    profile = uow.patients.get(actor.user_id)
    if profile is None:
        raise NotFound(_('No patient profile for this account.'))
    return ProfileView(
        id=profile.user_id,
        name=profile.user.name,
        email=profile.user.email or '',  # the signed-in patient's own: an account that signs in has one
        dob=profile.date_of_birth,
        gender=Gender(profile.gender),
        phone=profile.phone,
        address=profile.address,
        blood_group=profile.blood_group,
        allergies=profile.allergies,
        emergency_contact=profile.emergency_contact,
    )


def update_profile(uow: UnitOfWork, actor: Principal, patch: ProfilePatch) -> ProfileView:
    require_role(actor, Role.PATIENT, refusal=N_('Your role does not allow you to edit a patient profile.'))
    profile = uow.patients.get(actor.user_id)
    if profile is None:
        raise NotFound(_('No patient profile for this account.'))
    changes = patch.model_dump(exclude_unset=True)
    if changes.get('name'):
        profile.user.name = changes['name']
    if changes.get('dob'):
        profile.date_of_birth = changes['dob']
    if changes.get('gender'):
        profile.gender = changes['gender']
    for field in ('phone', 'address'):
        if changes.get(field) is not None:
            setattr(profile, field, changes[field])
    for field in ('blood_group', 'allergies', 'emergency_contact'):
        if field in changes:
            setattr(profile, field, changes[field] or None)
    if changes.get('dob') or changes.get('gender'):  # the dashboard's demographics count them: expire its cache
        uow.emit('patient.updated', patient_id=actor.user_id)
    audit.record(
        uow,
        'profile.updated',
        actor=actor,
        object_type='patient',
        object_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail={'fields': sorted(changes)},
    )
    uow.commit()
    return get_profile(uow, actor)


def change_email(uow: UnitOfWork, actor: Principal, change: EmailChange) -> ProfileView:
    """Change the sign-in email after checking the password again."""
    require_role(actor, Role.PATIENT, refusal=N_('Your role does not allow you to change a patient email.'))
    user = uow.users.get(actor.user_id)
    if user is None:
        raise NotFound(_('No such account.'))
    if not verify_password(user.password_hash, change.password):
        audit.record(uow, 'profile.email_change_refused', actor=actor, subject_user_id=user.id, success=False)
        uow.commit()
        raise InvalidInput(
            _('Your password is not correct.'), field_errors={'password': _('This is not your password.')}
        )
    email = accounts.available_email(uow, change.new_email, owner_id=user.id, field='new_email')
    user.email = email
    audit.record(
        uow, 'profile.email_changed', actor=actor, object_type='patient', object_id=user.id, subject_user_id=user.id
    )
    uow.commit()
    return get_profile(uow, actor)
