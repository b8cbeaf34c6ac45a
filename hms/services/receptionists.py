"""Receptionists: front-desk accounts the administrator creates (a one-time password, changed at the first sign-in),
edits and deactivates (their sessions end at once) like doctors'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hms.db.models import User
from hms.db.uow import UnitOfWork
from hms.domain.desk import ReceptionistIn, ReceptionistPatch
from hms.domain.enums import Role
from hms.domain.errors import NotFound
from hms.i18n import N_, _

from . import accounts, audit, staff
from .principal import Principal, require_role
from .views import Page

MANAGE_REFUSAL = N_('Your role does not allow you to manage receptionists.')


@dataclass(frozen=True)
class ReceptionistView:
    id: int
    name: str
    email: str
    is_active: bool
    must_change_password: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> ReceptionistView:
        return cls(
            id=user.id,
            name=user.name,
            email=user.email or '',
            is_active=user.is_active,
            must_change_password=user.must_change_password,
            created_at=user.created_at,
        )


@dataclass(frozen=True)
class NewReceptionist:
    receptionist: ReceptionistView
    initial_password: str  # shown once to the administrator; the receptionist must change it at first sign-in


def add_receptionist(uow: UnitOfWork, actor: Principal, data: ReceptionistIn) -> NewReceptionist:
    require_role(actor, Role.ADMIN, refusal=MANAGE_REFUSAL)
    user, initial_password = staff.new_staff_user(uow, role=Role.RECEPTION, name=data.name, email=data.email)
    audit.record(
        uow, 'receptionist.created', actor=actor, object_type='user', object_id=user.id, subject_user_id=user.id
    )
    uow.commit()
    return NewReceptionist(receptionist=ReceptionistView.of(user), initial_password=initial_password)


def _receptionist(uow: UnitOfWork, receptionist_id: int) -> User:
    user = uow.users.get(receptionist_id)
    if user is None or user.role is not Role.RECEPTION:
        raise NotFound(_('No such receptionist.'))
    return user


def get_receptionist(uow: UnitOfWork, actor: Principal, receptionist_id: int) -> ReceptionistView:
    require_role(actor, Role.ADMIN, refusal=MANAGE_REFUSAL)
    return ReceptionistView.of(_receptionist(uow, receptionist_id))


def browse_receptionists(
    uow: UnitOfWork,
    actor: Principal,
    text: str | None = None,
    *,
    include_inactive: bool = False,
    limit: int = 25,
    offset: int = 0,
) -> Page[ReceptionistView]:
    """By name or email (partial, any case), ordered by name, a page at a time; deactivated ones on request."""
    require_role(actor, Role.ADMIN, refusal=MANAGE_REFUSAL)
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    text = (text or '').strip() or None
    rows, total = uow.users.page_with_role(
        Role.RECEPTION, text, include_inactive=include_inactive, limit=limit, offset=offset
    )
    return Page(items=[ReceptionistView.of(row) for row in rows], total=total, limit=limit, offset=offset)


def update_receptionist(
    uow: UnitOfWork, actor: Principal, receptionist_id: int, patch: ReceptionistPatch
) -> ReceptionistView:
    require_role(actor, Role.ADMIN, refusal=MANAGE_REFUSAL)
    user = _receptionist(uow, receptionist_id)
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    if 'email' in changes:
        user.email = accounts.available_email(uow, changes['email'], owner_id=user.id)
    if 'name' in changes:
        user.name = changes['name']
    audit.record(
        uow,
        'receptionist.updated',
        actor=actor,
        object_type='user',
        object_id=user.id,
        subject_user_id=user.id,
        detail={'fields': sorted(changes)},
    )
    uow.commit()
    return ReceptionistView.of(user)


def set_active(
    uow: UnitOfWork, actor: Principal, receptionist_id: int, *, active: bool, reason: str = ''
) -> ReceptionistView:
    """Deactivate (their sessions and tokens end at once; they cannot sign in) or reactivate a receptionist."""
    require_role(actor, Role.ADMIN, refusal=MANAGE_REFUSAL)
    _receptionist(uow, receptionist_id)
    user = accounts.set_active(uow, actor, receptionist_id, active=active, reason=reason)  # audited, committed
    return ReceptionistView.of(user)
