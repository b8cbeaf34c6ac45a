"""The documents a patient takes home from a visit, the **visit summary** and the **prescription**, and their
verification by anyone holding one (a pharmacy, an employer, an insurer) at ``/verify/<code>``.

Who may have a visit's documents is the clinical record's rule (``records.documented_visit``): the patient, the
treating doctor and the administrator; the front desk never. Every download is audited as an access to the record,
and the patient sees it in "who looked at my record". Private notes are never part of a document, and the
prescription carries the medicines only (no diagnosis, tests or notes: it is shown at a pharmacy).

The verification code is stateless: it names the treatment record, its version and the kind of document, and is
authenticated with a key derived from the installation's secret (``HMS_STORAGE_SECRET``), so nothing is stored when a
document is made and a code cannot be made up. Its shape:

- 15 bytes: an 8-byte tag (HMAC-SHA256 of the payload, cut to 64 bits), then the 7-byte payload (a format and kind
  byte, the treatment's id in 4 bytes, the version in 2) hidden under a mask derived from the tag, so the code shows
  no id to whoever reads it;
- written in base32 (RFC 4648: A-Z and 2-7, no 0, 1, 8 or 9) as six groups of four: ``K7QF-2MXA-9…``, 29 characters.
  Typed back, case, spaces and the dashes do not matter, and 0, 1 and 8 are read as O, I and B.

An email-verification link (``hms.services.account_links``) shares the address ``/verify/<value>``: its token is
always 43 characters of URL-safe base64 (``secrets.token_urlsafe(32)``), while a document code as typed is at most
``MAX_TYPED`` (35) characters. ``looks_like_code`` tells the two apart by that shape alone.

Changing the installation's secret makes every earlier code unverifiable (as it ends every session).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hms import clock
from hms.config import Settings
from hms.db.models import Appointment, Treatment
from hms.db.uow import UnitOfWork
from hms.domain.errors import NotFound, TooManyAttempts
from hms.i18n import N_, _

from . import appointment_log, audit, records
from .appointments import views
from .principal import Principal

SUMMARY = 'summary'
PRESCRIPTION = 'prescription'
KINDS = (SUMMARY, PRESCRIPTION)
TITLES = {SUMMARY: N_('Visit summary'), PRESCRIPTION: N_('Prescription')}
VERIFY_PATH = '/verify/'
DOWNLOADED = 'document.downloaded'  # audited: an access to the record (records.ACCESS_ACTIONS names it)
VERIFY_FAILED = 'document.verify_failed'  # audited with the client's address, for the limit below
VERIFY_FAILURES_PER_HOUR = 30  # codes that check out as nothing, per client address and hour (then 429)

FORMAT = 1
_KIND_NUMBERS = {SUMMARY: 1, PRESCRIPTION: 2}
_KIND_NAMES = {number: kind for kind, number in _KIND_NUMBERS.items()}
TAG_BYTES, PAYLOAD_BYTES = 8, 7
CODE_CHARACTERS = 24  # base32 of 15 bytes, no padding
GROUP = 4
MAX_TYPED = 35  # a code as typed, separators and spaces included; an email link's token is 43
_COMPACT = re.compile(r'[A-Z2-7]{24}')
_SEPARATORS = re.compile(r'[\s\-]')
_LOOK_ALIKES = str.maketrans({'0': 'O', '1': 'I', '8': 'B'})


@dataclass(frozen=True)
class DocumentRef:
    """What a code names: one version of a treatment record, as one kind of document."""

    treatment_id: int
    version: int
    kind: str


@dataclass(frozen=True)
class Verification:
    """What ``/verify/<code>`` tells anyone: never a name, a date of birth or anything clinical."""

    valid: bool
    current: bool = False
    version: int | None = None
    latest_version: int | None = None
    issued_on: date | None = None  # the day this version of the record was written, in the clinic's calendar
    kind: str | None = None


@dataclass(frozen=True)
class Medicine:
    name: str
    dose: str
    frequency: str
    duration: str
    instructions: str


@dataclass(frozen=True)
class VisitDocument:
    """One document as every output (PDF, print page, email attachment) shows it. For a prescription the clinical
    fields other than the medicines are empty; private notes are never here."""

    kind: str
    appointment_id: int
    code: str
    verify_url: str
    clinic_name: str
    clinic_address: str
    doctor: str
    department: str
    patient: str
    patient_born: date | None
    visit_start: datetime
    diagnosis: str
    treatment: str
    medicines: list[Medicine]
    tests: str
    advice: str
    next_visit: date | None
    version: int
    recorded_at: datetime

    @property
    def title(self) -> str:
        """'Visit summary' or 'Prescription', in the language in force."""
        return _(TITLES[self.kind])

    @property
    def filename(self) -> str:
        return f'{self.kind}-visit-{self.appointment_id}-v{self.version}.pdf'


# --- the code -----------------------------------------------------------------------------------------------------


def _keys(settings: Settings) -> tuple[bytes, bytes]:
    """The tag key and the mask key, each derived from the installation's secret for this use alone."""
    secret = settings.effective_storage_secret().encode()
    tag_key = hmac.new(secret, b'hms document code: tag', hashlib.sha256).digest()
    mask_key = hmac.new(secret, b'hms document code: mask', hashlib.sha256).digest()
    return tag_key, mask_key


def _tag(tag_key: bytes, payload: bytes) -> bytes:
    return hmac.new(tag_key, payload, hashlib.sha256).digest()[:TAG_BYTES]


def _masked(mask_key: bytes, tag: bytes, data: bytes) -> bytes:
    mask = hmac.new(mask_key, tag, hashlib.sha256).digest()[:PAYLOAD_BYTES]
    return bytes(a ^ b for a, b in zip(data, mask, strict=True))


def document_code(settings: Settings, ref: DocumentRef) -> str:
    """The code printed on (and in the QR code of) the document ``ref`` names: 'K7QF-2MXA-…' (29 characters)."""
    if not (0 < ref.treatment_id < 2**32 and 0 < ref.version < 2**16) or ref.kind not in _KIND_NUMBERS:
        raise ValueError('a document code names a treatment id, a version and a kind within their ranges')
    payload = (
        bytes([FORMAT << 4 | _KIND_NUMBERS[ref.kind]]) + ref.treatment_id.to_bytes(4, 'big') + ref.version.to_bytes(2)
    )
    tag_key, mask_key = _keys(settings)
    tag = _tag(tag_key, payload)
    text = base64.b32encode(tag + _masked(mask_key, tag, payload)).decode('ascii')
    return '-'.join(text[index : index + GROUP] for index in range(0, CODE_CHARACTERS, GROUP))


def compact_code(value: str) -> str | None:
    """The 24 code characters of ``value`` as someone typed or scanned it, or None when it has no code's shape."""
    if len(value) > MAX_TYPED:
        return None
    compact = _SEPARATORS.sub('', value).upper().translate(_LOOK_ALIKES)
    return compact if _COMPACT.fullmatch(compact) else None


def looks_like_code(value: str) -> bool:
    """Whether ``value`` (the last part of ``/verify/<value>``) has a document code's shape: never true of an
    email-verification token (43 characters)."""
    return compact_code(value) is not None


def read_code(settings: Settings, value: str) -> DocumentRef | None:
    """What a genuine code names; None for anything else (malformed, made up, altered, or from another
    installation)."""
    compact = compact_code(value)
    if compact is None:
        return None
    raw = base64.b32decode(compact)
    tag, hidden = raw[:TAG_BYTES], raw[TAG_BYTES:]
    tag_key, mask_key = _keys(settings)
    payload = _masked(mask_key, tag, hidden)
    if not hmac.compare_digest(tag, _tag(tag_key, payload)):
        return None
    kind = _KIND_NAMES.get(payload[0] & 0x0F)
    treatment_id, version = int.from_bytes(payload[1:5]), int.from_bytes(payload[5:7])
    if payload[0] >> 4 != FORMAT or kind is None or treatment_id == 0 or version == 0:
        return None
    return DocumentRef(treatment_id, version, kind)


def verify_url(settings: Settings, code: str) -> str:
    """The address the QR code holds."""
    return settings.link(VERIFY_PATH + code)


# --- verification -------------------------------------------------------------------------------------------------


def verify(uow: UnitOfWork, settings: Settings, value: str, *, ip: str) -> Verification:
    """Whether ``value`` is the code of a genuine document, and whether its version is the record's current one.

    Public: answers with versions and a date only. Codes that check out as nothing are audited with the client's
    address; after ``VERIFY_FAILURES_PER_HOUR`` of them in an hour that address gets TooManyAttempts."""
    since = clock.now() - timedelta(hours=1)
    if uow.audit.count_from((VERIFY_FAILED,), ip, since) >= VERIFY_FAILURES_PER_HOUR:
        raise TooManyAttempts(
            _('Too many codes from this address could not be checked. Please try again in an hour.'),
            retry_after_seconds=3600,
        )
    found = _check(uow, settings, value)
    if not found.valid:
        audit.record(uow, VERIFY_FAILED, ip=ip, success=False)
        uow.commit()
    return found


def _check(uow: UnitOfWork, settings: Settings, value: str) -> Verification:
    ref = read_code(settings, value)
    if ref is None:
        return Verification(valid=False)
    treatment = uow.treatments.get(ref.treatment_id)
    if treatment is None or ref.version > treatment.version:
        return Verification(valid=False)
    if ref.version == treatment.version:
        written = treatment.updated_at
    else:
        earlier = uow.treatments.version(treatment.id, ref.version)
        if earlier is None:
            return Verification(valid=False)
        written = earlier.recorded_at
    return Verification(
        valid=True,
        current=ref.version == treatment.version,
        version=ref.version,
        latest_version=treatment.version,
        issued_on=written.astimezone(settings.zone).date(),
        kind=ref.kind,
    )


# --- the documents ------------------------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(_('There is no such document.'))
    return kind


def _text(item: dict[str, object], key: str) -> str:
    return str(item.get(key) or '')


def _compose(
    uow: UnitOfWork, settings: Settings, appointment: Appointment, treatment: Treatment, kind: str
) -> VisitDocument:
    view = views(uow, [appointment])[0]
    born = uow.patients_birth_dates({appointment.patient_id}).get(appointment.patient_id)
    code = document_code(settings, DocumentRef(treatment.id, treatment.version, kind))
    summary = kind == SUMMARY
    return VisitDocument(
        kind=kind,
        appointment_id=appointment.id,
        code=code,
        verify_url=verify_url(settings, code),
        clinic_name=settings.clinic_name,
        clinic_address=settings.clinic_address.strip(),
        doctor=view.doctor_name,
        department=view.department_name,
        patient=view.patient_name,
        patient_born=born,
        visit_start=appointment.start_at,
        diagnosis=treatment.diagnosis if summary else '',
        treatment=treatment.treatment_given if summary else '',
        medicines=[
            Medicine(
                name=_text(item, 'name'),
                dose=_text(item, 'dose'),
                frequency=_text(item, 'frequency'),
                duration=_text(item, 'duration'),
                instructions=_text(item, 'instructions'),
            )
            for item in treatment.prescription
        ],
        tests=treatment.tests_advised if summary else '',
        advice=treatment.notes if summary else '',
        next_visit=treatment.next_visit_date,
        version=treatment.version,
        recorded_at=treatment.updated_at,
    )


def visit_document(
    uow: UnitOfWork, settings: Settings, actor: Principal, appointment_id: int, kind: str
) -> VisitDocument:
    """One document of a completed visit, for the patient, the treating doctor or the administrator (the front desk:
    NotAllowed; anyone else's visit: NotFound). Audited as an access to the patient's record."""
    appointment, treatment = records.documented_visit(uow, actor, appointment_id)
    document = _compose(uow, settings, appointment, treatment, _kind(kind))
    appointment_log.record(uow, actor, appointment, DOWNLOADED, detail={'kind': kind, 'version': treatment.version})
    uow.commit()
    return document


def completion_documents(uow: UnitOfWork, settings: Settings, appointment_id: int) -> list[VisitDocument]:
    """What the visit-completed email carries: the summary, and the prescription when medicines were prescribed
    (none for a visit without a treatment record). For the worker, which acts for no one."""
    appointment = uow.appointments.get(appointment_id)
    treatment = uow.treatments.for_appointment(appointment_id) if appointment is not None else None
    if appointment is None or treatment is None:
        return []
    kinds = [SUMMARY, PRESCRIPTION] if treatment.prescription else [SUMMARY]
    return [_compose(uow, settings, appointment, treatment, kind) for kind in kinds]
