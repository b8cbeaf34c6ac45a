"""The documents handed out after a visit (visit summary and prescription, as PDF and as a print page) and their
verification: the code's shape and authentication, the PDF's content and QR code, /api/verify and the /verify page
(genuine, current, superseded, forged), who may download them, the audit, the reader's language, and the
visit-completed email with the documents attached."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from celery import Celery
from fastapi.testclient import TestClient
from nicegui.testing import User
from pydantic import SecretStr
from pypdf import PdfReader

from hms.clock import ManualClock
from hms.config import Settings
from hms.context import AppContext
from hms.domain.errors import NotAllowed, NotFound
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.security.tokens import new_token
from hms.services import account_links, appointments, document_pdf, documents, records
from hms.services.documents import DocumentRef, VisitDocument
from hms.services.principal import Principal

from .api_fixtures import People, give_password
from .celery_fixtures import current_celery, mailing_context, wait_until
from .factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DOCTOR_PASSWORD,
    PATIENT_PASSWORD,
    RECEPTION_PASSWORD,
    make_receptionist,
)
from .page_steps import sign_in
from .peers import Mailbox
from .scheduling_fixtures import Clinic, local

DIAGNOSIS = 'Acute bronchitis'
TREATMENT_GIVEN = 'Inhalation therapy'
TESTS = 'Chest X-ray'
ADVICE = 'Drink plenty of water'
PRIVATE = 'Suspect the patient smokes more than stated'
MEDICINE = {'name': 'Amoxicillin', 'dose': '500 mg', 'frequency': 'three times a day', 'duration': '7 days'}
NEXT_VISIT = date(2026, 3, 16)
RECORD = {
    'diagnosis': DIAGNOSIS,
    'treatment': TREATMENT_GIVEN,
    'prescription': [{**MEDICINE, 'instructions': 'after meals'}],
    'tests': TESTS,
    'notes': ADVICE,
    'private_notes': PRIVATE,
    'next_visit': NEXT_VISIT.isoformat(),
}
CLINICAL = (DIAGNOSIS, TREATMENT_GIVEN, TESTS, ADVICE, PRIVATE, MEDICINE['name'])


# --- a completed visit ----------------------------------------------------------------------------------------------


def complete(
    clinic: Clinic, clock: ManualClock, *, start_hour: int = 9, through: AppContext | None = None, **changes: Any
) -> int:
    """Ada's visit with Grey on Monday at ``start_hour``, booked, then completed with RECORD (``through`` another
    context's unit of work, whose publisher queues the email): its appointment id."""
    ctx = clinic.ctx
    with ctx.uow() as uow:
        booked = appointments.book(
            uow,
            ctx.settings,
            clinic.patient,
            BookingIn(doctor_id=clinic.doctor.user_id, start=local(2, start_hour), reason='Cough'),
        )
    clock.set(local(2, start_hour, 10))
    with (through or ctx).uow() as uow:
        records.complete_visit(
            uow, ctx.settings, clinic.doctor, booked.id, TreatmentIn.model_validate(RECORD | changes)
        )
    return booked.id


def amend(clinic: Clinic, appointment_id: int, **changes: Any) -> None:
    with clinic.ctx.uow() as uow:
        records.amend_treatment(
            uow, clinic.ctx.settings, clinic.doctor, appointment_id, TreatmentIn.model_validate(RECORD | changes)
        )


def document(clinic: Clinic, appointment_id: int, kind: str, reader: Principal | None = None) -> VisitDocument:
    with clinic.ctx.uow() as uow:
        return documents.visit_document(uow, clinic.ctx.settings, reader or clinic.patient, appointment_id, kind)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return '\n'.join(page.extract_text() for page in reader.pages)


def qr_payloads(content: bytes) -> list[str]:
    """What the QR codes in the PDF's images say (decoded from the pixels with zxing-cpp)."""
    zxingcpp = pytest.importorskip('zxingcpp')
    found = []
    for page in PdfReader(io.BytesIO(content)).pages:
        for image in page.images:
            found += [barcode.text for barcode in zxingcpp.read_barcodes(image.image)]
    return found


@pytest.fixture
def visit(clinic: Clinic, clock: ManualClock) -> int:
    return complete(clinic, clock)


# --- the code -------------------------------------------------------------------------------------------------------


def test_a_code_names_its_document_and_has_its_own_shape(settings: Settings) -> None:
    ref = DocumentRef(treatment_id=4711, version=3, kind=documents.PRESCRIPTION)
    code = documents.document_code(settings, ref)
    groups = code.split('-')
    assert [len(group) for group in groups] == [4] * 6 and len(code) == 29
    assert all(character in 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567' for character in ''.join(groups))
    assert documents.read_code(settings, code) == ref
    # Typed back by hand: any case, without dashes, with spaces, with 0/1/8 for O/I/B.
    typed = code.lower().replace('-', ' ').replace('o', '0').replace('i', '1').replace('b', '8')
    assert documents.read_code(settings, typed) == ref
    assert documents.read_code(settings, code.replace('-', '')) == ref
    # The code shows no id: another version or kind gives an unrelated code.
    other = documents.document_code(settings, DocumentRef(4711, 4, documents.PRESCRIPTION))
    assert sum(a == b for a, b in zip(code, other, strict=True)) < 15


def test_every_altered_character_and_another_installations_code_are_refused(settings: Settings) -> None:
    code = documents.document_code(settings, DocumentRef(12, 1, documents.SUMMARY))
    alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
    for index, character in enumerate(code):
        if character == '-':
            continue
        replacement = alphabet[(alphabet.index(character) + 1) % len(alphabet)]
        assert documents.read_code(settings, code[:index] + replacement + code[index + 1 :]) is None, index
    elsewhere = settings.model_copy(update={'storage_secret': SecretStr('another clinic entirely')})
    assert documents.read_code(elsewhere, code) is None
    # A well-formed code made with a made-up key, and a payload changed under the original tag.
    raw = bytearray(base64.b32decode(code.replace('-', '')))
    raw[-1] ^= 0x01
    assert documents.read_code(settings, base64.b32encode(bytes(raw)).decode()) is None
    for malformed in ('', 'ABCD', 'ABCD-EFGH-IJKL-MNOP-QRST-UVW!', '9' * 24, code + 'A', 'x' * 5000, '../../etc'):
        assert documents.read_code(settings, malformed) is None


def test_an_email_verification_token_never_looks_like_a_document_code(settings: Settings) -> None:
    """/verify/<value> serves both: a token is always 43 characters, a code as typed at most 35."""
    code = documents.document_code(settings, DocumentRef(1, 1, documents.SUMMARY))
    assert documents.looks_like_code(code) and documents.looks_like_code(code.lower().replace('-', ''))
    for _ in range(2000):
        token = new_token()
        assert len(token) == 43 > documents.MAX_TYPED
        assert not documents.looks_like_code(token)
    assert account_links.PATHS[account_links.VERIFY] == documents.VERIFY_PATH


# --- the documents --------------------------------------------------------------------------------------------------


def test_the_summary_pdf_shows_the_visit_and_never_the_private_notes(clinic: Clinic, visit: int) -> None:
    summary = document(clinic, visit, documents.SUMMARY)
    content = document_pdf.to_pdf(summary, clinic.ctx.settings)
    assert content.startswith(b'%PDF-')
    text = pdf_text(content)
    for expected in (
        'Riverside Clinic',
        'Visit summary',
        'Version 1, written Mon 2 Mar 2026',
        'Ada Lovelace',
        'Meredith Grey · Cardiology',
        'Mon 2 Mar 2026, 09:00',
        DIAGNOSIS,
        TREATMENT_GIVEN,
        *MEDICINE.values(),
        'after meals',
        TESTS,
        ADVICE,
        'Mon 16 Mar 2026',
        summary.code,
    ):
        assert expected in text, expected
    assert PRIVATE not in text
    url = clinic.ctx.settings.link('/verify/' + summary.code)
    assert summary.verify_url == url
    assert qr_payloads(content) == [url]  # the QR code, read from the PDF's pixels
    assert summary.filename == f'summary-visit-{visit}-v1.pdf'


def test_the_prescription_pdf_shows_the_medicines_but_no_diagnosis(clinic: Clinic, visit: int) -> None:
    prescription = document(clinic, visit, documents.PRESCRIPTION)
    text = pdf_text(document_pdf.to_pdf(prescription, clinic.ctx.settings))
    assert 'Prescription' in text and 'Ada Lovelace' in text and 'Meredith Grey' in text
    for expected in MEDICINE.values():
        assert expected in text
    for absent in (DIAGNOSIS, TREATMENT_GIVEN, TESTS, ADVICE, PRIVATE):
        assert absent not in text
    summary = document(clinic, visit, documents.SUMMARY)
    assert prescription.code != summary.code  # each document has its own code


def test_a_visit_without_medicines_says_so(clinic: Clinic, clock: ManualClock) -> None:
    visit = complete(clinic, clock, prescription=[], next_visit=None)
    text = pdf_text(document_pdf.to_pdf(document(clinic, visit, documents.SUMMARY), clinic.ctx.settings))
    assert 'No medicines prescribed.' in text and 'Not needed' in text


@pytest.mark.parametrize(
    ('language', 'expected'),
    [
        ('de', ('Besuchszusammenfassung', 'Diagnose', 'Mo., 2. März 2026')),
        ('fr', ('Compte rendu de consultation', 'Diagnostic', 'lun. 2 mars 2026')),
    ],
)
def test_documents_speak_the_readers_language(
    clinic: Clinic, visit: int, people: People, language: str, expected: tuple[str, ...]
) -> None:
    response = people.api.get(f'/api/visits/{visit}/summary.pdf', headers={**people.ada, 'Accept-Language': language})
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    for phrase in expected:
        assert phrase in text, (phrase, text)
    assert 'Visit summary' not in text


# --- who may have them ----------------------------------------------------------------------------------------------


def test_the_patient_the_treating_doctor_and_the_admin_download_them(
    clinic: Clinic, visit: int, people: People
) -> None:
    for kind in ('summary', 'prescription'):
        for who in (people.ada, people.grey, people.admin):
            response = people.api.get(f'/api/visits/{visit}/{kind}.pdf', headers=who)
            assert response.status_code == 200, response.text
            assert response.headers['content-type'] == 'application/pdf'
            assert response.headers['cache-control'] == 'private, no-store'
            assert f'filename="{kind}-visit-{visit}-v1.pdf"' in response.headers['content-disposition']
            assert PRIVATE not in pdf_text(response.content)
        # Another patient and a doctor who did not treat the visit: it does not exist for them.
        for who in (people.bob, people.shepherd):
            response = people.api.get(f'/api/visits/{visit}/{kind}.pdf', headers=who)
            assert response.status_code == 404, response.text
            assert DIAGNOSIS not in response.text and 'Ada' not in response.text
        assert people.api.get(f'/api/visits/{visit}/{kind}.pdf').status_code == 401


def test_the_front_desk_never_gets_a_document(clinic: Clinic, visit: int, people: People) -> None:
    rita = make_receptionist(clinic.ctx, clinic.admin)
    response = people.api.post('/api/login', json={'email': rita.email, 'password': RECEPTION_PASSWORD})
    headers = {'Authorization': f'Bearer {response.json()["access_token"]}'}
    for kind in ('summary', 'prescription'):
        refused = people.api.get(f'/api/visits/{visit}/{kind}.pdf', headers=headers)
        assert refused.status_code == 403, refused.text
        assert DIAGNOSIS not in refused.text
    with pytest.raises(NotAllowed):
        document(clinic, visit, documents.SUMMARY, rita)


def test_only_completed_visits_with_a_record_have_documents(clinic: Clinic, people: People) -> None:
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow,
            clinic.ctx.settings,
            clinic.patient,
            BookingIn(doctor_id=clinic.doctor.user_id, start=local(3, 9), reason='Cough'),
        )
    assert people.api.get(f'/api/visits/{booked.id}/summary.pdf', headers=people.ada).status_code == 404
    assert people.api.get('/api/visits/999999/summary.pdf', headers=people.admin).status_code == 404
    assert people.api.get('/api/visits/0/summary.pdf', headers=people.admin).status_code == 422
    with pytest.raises(NotFound):
        document(clinic, booked.id, 'referral')


def test_each_download_is_an_audited_access_the_patient_sees(clinic: Clinic, visit: int, people: People) -> None:
    assert people.api.get(f'/api/visits/{visit}/prescription.pdf', headers=people.admin).status_code == 200
    with clinic.ctx.uow() as uow:
        entries = records.access_log(uow, clinic.patient)
    assert entries[0].action == 'Downloaded a visit document' and entries[0].role == 'admin'
    with clinic.ctx.uow() as uow:
        [row] = [row for row in uow.audit.recent(actions=[documents.DOWNLOADED])]
    assert (row.object_id, row.subject_user_id) == (visit, clinic.patient.user_id)
    assert row.detail == {'kind': 'prescription', 'version': 1}


# --- verification ---------------------------------------------------------------------------------------------------


def test_a_current_document_verifies_without_medical_content(clinic: Clinic, visit: int, api: TestClient) -> None:
    code = document(clinic, visit, documents.SUMMARY).code
    response = api.get(f'/api/verify/{code}')
    assert response.status_code == 200, response.text
    assert response.json() == {
        'valid': True,
        'current': True,
        'version': 1,
        'latest_version': 1,
        'issued_on': '2026-03-02',
        'kind': 'summary',
    }
    for secret in (*CLINICAL, 'Ada', 'Lovelace', 'Grey', 'Cardiology', 'Cough'):
        assert secret not in response.text
    # As typed by hand from the paper.
    assert api.get(f'/api/verify/{code.lower().replace("-", "")}').json()['valid'] is True


def test_an_amendment_supersedes_the_earlier_document(
    clinic: Clinic, clock: ManualClock, visit: int, api: TestClient
) -> None:
    first = document(clinic, visit, documents.PRESCRIPTION).code
    clock.advance(timedelta(days=1))
    amend(clinic, visit, prescription=[{**MEDICINE, 'dose': '250 mg'}])
    second = document(clinic, visit, documents.PRESCRIPTION)
    assert second.version == 2 and second.code != first
    assert api.get(f'/api/verify/{first}').json() == {
        'valid': True,
        'current': False,
        'version': 1,
        'latest_version': 2,
        'issued_on': '2026-03-02',
        'kind': 'prescription',
    }
    assert api.get(f'/api/verify/{second.code}').json() == {
        'valid': True,
        'current': True,
        'version': 2,
        'latest_version': 2,
        'issued_on': '2026-03-03',
        'kind': 'prescription',
    }
    assert '250 mg' in pdf_text(document_pdf.to_pdf(second, clinic.ctx.settings))


def test_forged_tampered_and_malformed_codes_are_not_valid(
    clinic: Clinic, visit: int, api: TestClient, settings: Settings
) -> None:
    code = document(clinic, visit, documents.SUMMARY).code
    tampered = ('B' if code[0] != 'B' else 'C') + code[1:]
    unknown_record = documents.document_code(clinic.ctx.settings, DocumentRef(987654, 1, documents.SUMMARY))
    future_version = documents.document_code(clinic.ctx.settings, DocumentRef(1, 9, documents.SUMMARY))
    elsewhere = documents.document_code(
        clinic.ctx.settings.model_copy(update={'storage_secret': SecretStr('another clinic')}),
        DocumentRef(1, 1, 'summary'),
    )
    for value in (tampered, unknown_record, future_version, elsewhere, 'hello', 'A' * 300, '%00', 'é' * 10, '-'):
        response = api.get(f'/api/verify/{value}')
        assert response.status_code == 200, (value, response.text)
        assert response.json() == {
            'valid': False,
            'current': False,
            'version': None,
            'latest_version': None,
            'issued_on': None,
            'kind': None,
        }


def test_too_many_failed_codes_from_one_address_are_refused_for_a_while(
    clinic: Clinic, clock: ManualClock, visit: int, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, 'VERIFY_FAILURES_PER_HOUR', 3)
    code = document(clinic, visit, documents.SUMMARY).code
    for attempt in range(3):
        assert api.get(f'/api/verify/WRONG{attempt}').json()['valid'] is False
    refused = api.get(f'/api/verify/{code}')
    assert refused.status_code == 429 and refused.json()['code'] == 'too_many_attempts'
    clock.advance(timedelta(hours=1, minutes=1))
    assert api.get(f'/api/verify/{code}').json()['valid'] is True


# --- the pages ------------------------------------------------------------------------------------------------------


async def test_the_verify_page_says_genuine_and_current_or_superseded(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    visit = complete(clinic, clock)
    first = document(clinic, visit, documents.SUMMARY).code
    await user.open(f'/verify/{first}')
    await user.should_see('Genuine document')
    await user.should_see('Version 1 of 1: this is the current version.')
    await user.should_see('Riverside Clinic')
    await user.should_see('Mon 2 Mar 2026')
    await user.should_not_see(DIAGNOSIS)
    await user.should_not_see('Ada Lovelace')
    amend(clinic, visit, tests='Blood count')
    await user.open(f'/verify/{first}')
    await user.should_see('Version 1 of 2: an amendment has replaced this document.')
    await user.open('/verify/ABCD-EFGH-IJKL-MNOP-QRST-UVWX')
    await user.should_see('This code does not belong to a document of Riverside Clinic.')


async def test_the_verify_address_still_confirms_email_addresses(user: User, clinic: Clinic) -> None:
    """An email-verification link (issue 21's contract) opens the address confirmation, not a document check."""
    await user.open(f'/verify/{new_token()}')
    await user.should_see('Confirm your email address')
    await user.should_not_see('Genuine document')


async def test_the_patient_opens_and_prints_her_documents_from_her_visits(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    visit = complete(clinic, clock)
    await sign_in(user, clinic.patient.email, PATIENT_PASSWORD, 'My health')
    await user.open('/patient/visits')
    user.find(marker=f'summary-{visit}')
    user.find(marker=f'prescription-{visit}')
    await user.open(f'/visits/{visit}/summary')
    await user.should_see('Visit summary')
    await user.should_see(DIAGNOSIS)
    await user.should_see('Version 1')
    await user.should_not_see(PRIVATE)
    code = document(clinic, visit, documents.SUMMARY).code
    await user.should_see(code)
    await user.open(f'/visits/{visit}/prescription')
    await user.should_see('Prescription')
    [table] = user.find(marker='document-medicines').elements
    assert [row['name'] for row in table.rows] == [MEDICINE['name']]
    await user.should_not_see(DIAGNOSIS)
    await user.should_see('Print')
    await user.should_see('Download PDF')


async def test_the_treating_doctor_reaches_them_from_the_visit_and_another_doctor_does_not(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    visit = complete(clinic, clock)
    for doctor in (clinic.doctor, clinic.other_doctor):
        give_password(clinic, doctor)
    await sign_in(user, clinic.doctor.email, DOCTOR_PASSWORD, 'My day')
    await user.open(f'/doctor/appointments/{visit}')
    user.find(marker=f'summary-{visit}')
    user.find(marker=f'prescription-{visit}')
    await user.open(f'/doctor/patients/{clinic.patient.user_id}')  # her history: links on his own visits
    user.find(marker=f'documents-{visit}')
    await user.open(f'/visits/{visit}/summary')
    await user.should_see(DIAGNOSIS)
    await user.should_not_see(PRIVATE)  # his own private notes stay off the document too


async def test_another_doctor_is_told_there_is_no_such_document(user: User, clinic: Clinic, clock: ManualClock) -> None:
    visit = complete(clinic, clock)
    give_password(clinic, clinic.other_doctor)
    await sign_in(user, clinic.other_doctor.email, DOCTOR_PASSWORD, 'My day')
    await user.open(f'/visits/{visit}/summary')
    await user.should_see('No such document')
    await user.should_not_see(DIAGNOSIS)
    await user.should_not_see('Ada Lovelace')


async def test_the_admin_reaches_them_from_the_patients_history(user: User, clinic: Clinic, clock: ManualClock) -> None:
    visit = complete(clinic, clock)
    await sign_in(user, ADMIN_EMAIL, ADMIN_PASSWORD, 'Clinic dashboard')
    await user.open(f'/admin/patients/{clinic.patient.user_id}')
    user.find(marker=f'summary-{visit}')
    await user.open(f'/visits/{visit}/prescription')
    await user.should_see('Prescription')
    await user.should_see('Version 1, written Mon 2 Mar 2026')


# --- the visit-completed email --------------------------------------------------------------------------------------


@pytest.fixture
def jobs_context(clinic: Clinic, worker_context: AppContext, mailbox: Mailbox) -> Iterator[AppContext]:
    yield from mailing_context(worker_context, mailbox.port, timezone='Europe/Berlin')


@pytest.fixture
def celery_app(jobs_context: AppContext) -> Iterator[Celery]:
    yield from current_celery(jobs_context.settings)


def attachments_of(message: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): bytes(part.get_content()) for part in message.iter_attachments()}


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=('plain',))
    assert body is not None
    return str(body.get_content())


def test_completing_a_visit_emails_the_documents(
    celery_worker: Celery, clinic: Clinic, clock: ManualClock, mailbox: Mailbox, jobs_context: AppContext
) -> None:
    visit = complete(clinic, clock, through=jobs_context)  # its publisher: the outbox queues the email
    [message] = wait_until(lambda: mailbox.received('Your documents'), what='the visit-completed email')
    assert str(message['Subject']).strip() == (
        'Your documents from your visit at Riverside Clinic on Mon 2 Mar 2026, 09:00'
    )
    assert str(message['To']) == 'Ada Lovelace <ada@example.com>'
    files = attachments_of(message)
    assert sorted(files) == [f'prescription-visit-{visit}-v1.pdf', f'summary-visit-{visit}-v1.pdf']
    summary = pdf_text(files[f'summary-visit-{visit}-v1.pdf'])
    assert DIAGNOSIS in summary and PRIVATE not in summary
    prescription = pdf_text(files[f'prescription-visit-{visit}-v1.pdf'])
    assert MEDICINE['name'] in prescription and DIAGNOSIS not in prescription
    body = text_of(message)
    assert 'Visit summary' in body and 'Prescription' in body and '/patient/visits' in body
    for clinical in CLINICAL:  # the email's own text and subject say nothing clinical
        assert clinical not in body and clinical not in str(message['Subject'])
    # Its code is the current version's.
    code = document(clinic, visit, documents.SUMMARY).code
    assert code in summary
    # Exactly once: the task queued again for the same completion sends nothing.
    again = celery_worker.send_task('hms.appointment_email', kwargs={'appointment_id': visit, 'kind': 'completed'})
    assert again.get(timeout=30) == 'skipped'
    assert len(mailbox.received('Your documents')) == 1


def test_no_email_for_a_patient_without_an_address(
    celery_worker: Celery, clinic: Clinic, clock: ManualClock, mailbox: Mailbox, jobs_context: AppContext
) -> None:
    with jobs_context.uow() as uow:
        user = uow.users.get(clinic.patient.user_id)
        assert user is not None
        user.email = None
        uow.commit()
    visit = complete(clinic, clock, through=jobs_context)
    outcome = celery_worker.send_task('hms.appointment_email', kwargs={'appointment_id': visit, 'kind': 'completed'})
    assert outcome.get(timeout=30) == 'superseded'  # nothing to send: the task ends without a delivery
    assert not mailbox.received('Your documents')


def test_the_email_speaks_the_patients_language(
    celery_worker: Celery, clinic: Clinic, clock: ManualClock, mailbox: Mailbox, jobs_context: AppContext
) -> None:
    with jobs_context.uow() as uow:
        user = uow.users.get(clinic.patient.user_id)
        assert user is not None
        user.language = 'de'
        uow.commit()
    visit = complete(clinic, clock, through=jobs_context, prescription=[])
    [message] = wait_until(lambda: mailbox.received(''), what='the visit-completed email')
    subject = ' '.join(str(message['Subject']).split())  # as a mail client shows a folded header
    assert subject == 'Ihre Dokumente zu Ihrem Besuch bei Riverside Clinic am Mo., 2. März 2026, 09:00'
    assert 'Vielen Dank für Ihren Besuch.' in text_of(message)
    files = attachments_of(message)
    assert list(files) == [f'summary-visit-{visit}-v1.pdf']  # no medicines: no prescription
    assert 'Diagnose' in pdf_text(files[f'summary-visit-{visit}-v1.pdf'])
