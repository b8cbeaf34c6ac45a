"""Clinical-record pages through NiceGUI's simulated user: the doctor's dashboard and visits (complete, amend, cancel,
no-show), the doctor's patients and their history, the patient's visits, profile and access log, and the
administrator's doctor page and patient history.

``user`` comes first in every signature: it runs main.py (which initialises the application context from the
environment); ``clinic`` then replaces that context with the Berlin clinic and its frozen clock (Monday 2 March 2026,
08:00 in Berlin).
"""

from __future__ import annotations

from datetime import UTC, date
from functools import partial
from typing import Any

from nicegui import ui
from nicegui.testing import User

from hms import context
from hms.clock import ManualClock
from hms.db.models import DoctorProfile
from hms.domain.enums import AppointmentStatus, Role
from hms.domain.records import TreatmentIn
from hms.domain.scheduling import BookingIn
from hms.services import appointments, profile, records
from hms.services.principal import Principal

from . import factories, page_steps
from .factories import PATIENT_PASSWORD
from .page_steps import FORBIDDEN, as_admin, as_doctor, as_patient, element, fill, fill_in, pick, rows, see, text_of
from .scheduling_fixtures import Clinic, local  # the clinic fixture itself comes from conftest.py

TREATMENT = factories.TREATMENT | {'tests': 'Full blood count'}


# --- Helpers ----------------------------------------------------------------------------------------------------------

# A check that fails (an assertion, or no such element yet) while a panel is being rebuilt is not yet true.
eventually = partial(page_steps.eventually, tolerate=(AssertionError, StopIteration))


def book(
    clinic: Clinic,
    day: int,
    hour: int,
    minute: int = 0,
    *,
    patient: Principal | None = None,
    doctor: Principal | None = None,
    reason: str = 'Fever',
) -> int:
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow,
            clinic.ctx.settings,
            patient or clinic.patient,
            BookingIn(doctor_id=(doctor or clinic.doctor).user_id, start=local(day, hour, minute), reason=reason),
        )
    return booked.id


def complete(clinic: Clinic, appointment_id: int, **changes: object) -> None:
    with clinic.ctx.uow() as uow:
        records.complete_visit(
            uow, clinic.ctx.settings, clinic.doctor, appointment_id, TreatmentIn.model_validate(TREATMENT | changes)
        )


def status_of(clinic: Clinic, appointment_id: int) -> AppointmentStatus:
    with clinic.ctx.uow() as uow:
        return appointments.get_appointment(uow, clinic.admin, appointment_id).status


# --- End to end: admin adds a doctor, a patient books, the doctor completes, the patient reads -----------------------


async def test_admin_adds_a_doctor_through_the_page_and_the_doctor_is_in_the_database(
    user: User, clinic: Clinic
) -> None:
    await as_admin(user)
    await user.open('/admin/doctors')
    await eventually(
        lambda: [r['name'] for r in rows(user, 'doctors-table')] == ['Derek Shepherd', 'Meredith Grey'],
        'the two doctors listed',
    )
    user.find(marker='add-doctor').click()
    await see(user, 'Full name')
    fill_in(user, {'Full name': 'Gregory House', 'Email': 'House@Clinic.test'})
    pick(user, 'Department', 'Cardiology')
    fill_in(user, {'Years of experience': '21', 'Consultation length (minutes)': '40'})
    user.find(kind=ui.button, marker='dialog-confirm').click()
    await see(user, 'Doctor account created')
    user.find(marker='password-done').click()

    with context.get().uow() as uow:
        account = uow.users.by_email('house@clinic.test')
        assert account is not None and account.role == Role.DOCTOR and account.must_change_password
        doctor = uow.session.get(DoctorProfile, account.id)
        assert doctor is not None
        assert (doctor.department_id, doctor.experience_years, doctor.consultation_minutes) == (
            clinic.department_id,
            21,
            40,
        )
        doctor_id = account.id

    await user.open(f'/admin/doctors/{doctor_id}')
    await see(user, 'Gregory House')
    with user.scope(marker='doctor-profile'):
        await see(user, 'house@clinic.test')
        await see(user, '40 minutes')
    with user.scope(marker='schedule'):
        await see(user, 'No appointments on this day.')


async def test_a_patient_books_on_the_doctors_page_and_the_doctor_sees_it_in_the_week(
    user: User, clinic: Clinic
) -> None:
    await as_patient(user)
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, marker='slot-2026-03-03T10:00')  # the free times load after the page answers
    user.find(marker='slot-2026-03-03T10:00').click()
    await see(user, marker='booking-dialog')
    with user.scope(marker='booking-dialog'):
        user.find('Reason for the visit (optional)').type('Chest pain on stairs')
        user.find(marker='confirm-booking').click()
    await see(user, 'Booked: Tue 3 Mar 2026, 10:00 with Meredith Grey.')

    await as_doctor(user, clinic)
    with user.scope(marker='schedule'):
        await see(user, 'Monday 2 March 2026')
        await see(user, 'No appointments on this day.')
        await user.should_not_see('Ada Lovelace')
    fill(user, 7, marker='schedule-days')  # the Week toggle
    with user.scope(marker='schedule'):
        await see(user, 'Tuesday 3 March')
        await see(user, 'Ada Lovelace, 35 years')
        await see(user, 'Chest pain on stairs')
        await see(user, '10:00–10:30')
        await see(user, 'Booked')
    (appointment_id,) = [a.id for a in _doctor_week(clinic)]
    await see(user, marker=f'open-{appointment_id}')


def _doctor_week(clinic: Clinic) -> list[Any]:
    with clinic.ctx.uow() as uow:
        schedule = records.doctor_schedule(uow, clinic.ctx.settings, clinic.doctor, days=7)
    return [entry.appointment for entry in schedule.entries]


async def test_the_doctor_completes_a_visit_with_two_medicines_and_the_patient_reads_it(
    user: User, clinic: Clinic
) -> None:
    appointment_id = book(clinic, 2, 9, reason='Cough for two weeks')  # today, 09:00
    await as_doctor(user, clinic)
    with user.scope(marker='schedule'):
        await see(user, 'Ada Lovelace, 35 years')
        await see(user, 'Cough for two weeks')
    user.find(marker=f'open-{appointment_id}').click()
    await see(user, 'Visit: Ada Lovelace')
    await see(user, 'Record the visit')
    fill_in(user, {'diagnosis': 'Acute bronchitis', 'treatment': 'Inhalation'}, by='marker')
    user.find(marker='add-medicine').click()
    user.find(marker='add-medicine').click()
    for number, (name, dose) in enumerate((('Amoxicillin', '500 mg'), ('Ibuprofen', '400 mg'))):
        with user.scope(marker=f'medicine-{number}'):
            fill_in(
                user,
                {'medicine-name': name, 'medicine-dose': dose, 'medicine-frequency': 'three times a day'},
                by='marker',
            )
    fill_in(
        user,
        {
            'tests': 'Chest X-ray',
            'notes': 'Drink plenty of water.',
            'private_notes': 'Smoker: discuss quitting.',
            'next_visit': '2026-03-16',
        },
        by='marker',
    )
    user.find(marker='save-treatment').click()
    await see(user, 'Visit completed and the record saved.')
    await see(user, marker='treatment-record')  # the visit reloads after the notification
    with user.scope(marker='treatment-record'):
        await see(user, 'Acute bronchitis')
        await see(user, 'Smoker: discuss quitting.')
    assert status_of(clinic, appointment_id) is AppointmentStatus.COMPLETED

    await as_patient(user)
    await user.open('/patient/visits')
    with user.scope(marker=f'visit-{appointment_id}'):
        await see(user, 'Mon 2 Mar 2026, 09:00')
        await see(user, 'Meredith Grey · Cardiology')
        await see(user, 'Acute bronchitis')
        await see(user, 'Chest X-ray')
        await see(user, 'Drink plenty of water.')
        await see(user, 'Mon 16 Mar 2026')
    medicines = rows(user, f'prescription-{appointment_id}')
    assert [(m['name'], m['dose']) for m in medicines] == [('Amoxicillin', '500 mg'), ('Ibuprofen', '400 mg')]
    await user.should_not_see('Smoker: discuss quitting.')
    await user.should_not_see('Private notes')


# --- The visit page ---------------------------------------------------------------------------------------------------


async def test_another_doctor_sees_no_such_appointment(user: User, clinic: Clinic) -> None:
    appointment_id = book(clinic, 2, 9)
    await as_doctor(user, clinic, clinic.other_doctor)
    for path in (f'/doctor/appointments/{appointment_id}', '/doctor/appointments/999999', '/doctor/appointments/x1'):
        await user.open(path)
        await see(user, 'No such appointment: it does not exist or is not one of yours.')
        await user.should_not_see('Ada Lovelace')
        await user.should_not_see(marker='save-treatment')


async def test_a_future_day_appointment_says_why_it_cannot_be_completed_yet(user: User, clinic: Clinic) -> None:
    appointment_id = book(clinic, 3, 10)
    await as_doctor(user, clinic)
    await user.open(f'/doctor/appointments/{appointment_id}')
    await see(user, marker='not-yet')
    assert 'Tue 3 Mar 2026, a future day: the visit cannot be completed yet' in text_of(user, 'not-yet')
    await user.should_not_see(marker='save-treatment')
    assert not element(user, marker='mark-no-show').enabled  # before the start
    await see(user, marker='no-show-later')
    assert element(user, marker='cancel-appointment').enabled


async def test_completing_without_a_diagnosis_shows_the_errors_next_to_the_fields(user: User, clinic: Clinic) -> None:
    appointment_id = book(clinic, 2, 9)
    await as_doctor(user, clinic)
    await user.open(f'/doctor/appointments/{appointment_id}')
    await see(user, 'Record the visit')
    user.find(marker='add-medicine').click()
    user.find(marker='add-medicine').click()  # the second row stays empty: dropped, not refused
    with user.scope(marker='medicine-0'):
        fill(user, '2 puffs', marker='medicine-dose')
    fill(user, '   ', marker='diagnosis')
    user.find(marker='save-treatment').click()
    await eventually(lambda: element(user, marker='diagnosis').error == 'This field is required.', 'diagnosis error')
    with user.scope(marker='medicine-0'):
        assert element(user, marker='medicine-name').error == 'This field is required.'
    with user.scope(marker='medicine-1'):
        assert element(user, marker='medicine-name').error is None
    await see(user, 'Please correct the highlighted fields.')
    assert status_of(clinic, appointment_id) is AppointmentStatus.BOOKED

    fill_in(user, {'next_visit': '2020-01-01', 'diagnosis': 'Asthma'}, by='marker')
    with user.scope(marker='medicine-0'):
        user.find(marker='remove-medicine').click()
    user.find(marker='save-treatment').click()
    await eventually(lambda: bool(element(user, marker='next_visit').error), 'the next-visit error')
    assert element(user, marker='diagnosis').error is None
    assert status_of(clinic, appointment_id) is AppointmentStatus.BOOKED


async def test_amending_keeps_the_version_history_visible(user: User, clinic: Clinic, clock: ManualClock) -> None:
    appointment_id = book(clinic, 2, 9)
    complete(clinic, appointment_id)
    clock.set(local(2, 12).astimezone(UTC))
    await as_doctor(user, clinic)
    await user.open(f'/doctor/appointments/{appointment_id}')
    with user.scope(marker='treatment-record'):
        await see(user, 'Seasonal influenza')
        await see(user, 'Version 1, written Mon 2 Mar 2026, 08:00')
    with user.scope(marker='versions'):
        await see(user, 'None: the record has not been amended.')
    assert element(user, marker='diagnosis').value == 'Seasonal influenza'  # the amend form is prefilled
    with user.scope(marker='medicine-0'):
        assert element(user, marker='medicine-name').value == 'Paracetamol'

    user.find(marker='save-treatment').click()  # nothing changed
    await see(user, 'Nothing changed; edit a field before saving the amendment.')

    fill(user, 'Influenza A', marker='diagnosis')
    with user.scope(marker='medicine-0'):
        fill(user, '1 g', marker='medicine-dose')
    user.find(marker='save-treatment').click()
    await see(user, 'Amendment saved; the earlier version is kept.')
    with user.scope(marker='treatment-record'):
        await see(user, 'Influenza A')
        await see(user, 'Version 2, written Mon 2 Mar 2026, 12:00')
    with user.scope(marker='version-1'):
        await see(user, 'Seasonal influenza')
        await see(user, 'Written Mon 2 Mar 2026, 08:00; replaced Mon 2 Mar 2026, 12:00 by Meredith Grey')
    assert [(m['name'], m['dose']) for m in rows(user, 'version-1-prescription')] == [('Paracetamol', '500 mg')]
    assert [(m['name'], m['dose']) for m in rows(user, 'prescription-current')] == [('Paracetamol', '1 g')]


async def test_the_doctor_cancels_with_a_reason_and_marks_a_no_show_after_the_start(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    cancelled = book(clinic, 2, 11)
    missed = book(clinic, 2, 9, patient=clinic.other_patient)
    clock.set(local(2, 9, 15).astimezone(UTC))  # the no-show grace (15 minutes) is over
    await as_doctor(user, clinic)
    await user.open(f'/doctor/appointments/{cancelled}')
    user.find(marker='cancel-appointment').click()
    user.find(marker='confirm-cancel').click()
    await eventually(lambda: element(user, marker='cancel-reason').error == 'A reason is required.', 'reason error')
    fill(user, 'The doctor is ill today.', marker='cancel-reason')
    user.find(marker='confirm-cancel').click()
    await see(user, 'Appointment cancelled; the patient is told.')
    await see(user, 'This appointment was cancelled; no visit can be recorded on it. Reason: The doctor is ill today.')
    assert status_of(clinic, cancelled) is AppointmentStatus.CANCELLED

    await user.open(f'/doctor/appointments/{missed}')
    assert element(user, marker='mark-no-show').enabled  # 09:15, the grace after the 09:00 start is over
    user.find(marker='mark-no-show').click()
    user.find(marker='confirm-no-show').click()
    await see(user, 'Marked as a no-show.')
    await see(user, 'The patient did not come: this appointment is marked as a no-show, which is final.')
    assert status_of(clinic, missed) is AppointmentStatus.NO_SHOW


# --- The doctor's dashboard -------------------------------------------------------------------------------------------


async def test_the_dashboard_shows_todays_counts_and_the_visits_per_week_chart(
    user: User, clinic: Clinic, clock: ManualClock
) -> None:
    done = book(clinic, 2, 9)
    missed = book(clinic, 2, 9, 30, patient=clinic.other_patient)
    called_off = book(clinic, 2, 10)
    book(clinic, 2, 11, patient=clinic.other_patient)
    complete(clinic, done)
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.doctor, called_off, 'Doctor called away')
    clock.set(local(2, 9, 45).astimezone(UTC))
    with clinic.ctx.uow() as uow:
        records.mark_no_show(uow, clinic.ctx.settings, clinic.doctor, missed)

    await as_doctor(user, clinic)
    assert {status: text_of(user, f'count-{status}') for status in ('booked', 'completed', 'cancelled', 'no_show')} == {
        'booked': '1',
        'completed': '1',
        'cancelled': '1',
        'no_show': '1',
    }
    assert (text_of(user, 'number-month_visits'), text_of(user, 'number-completion_rate')) == ('1', '50%')
    assert text_of(user, 'number-no_show_rate') == '50%'
    chart = element(user, marker='visits-chart')
    trace = chart.figure['data'][0]
    assert len(trace['x']) == 13 and trace['x'][-1] == '2026-03-02'
    assert trace['y'][-1] == 1 and sum(trace['y']) == 1
    with user.scope(marker='schedule'):
        for name in ('Ada Lovelace', 'Bob Builder'):
            await see(user, name)
        await see(user, 'No-show')
        await see(user, 'Completed')
        await see(user, 'Cancelled')
    with user.scope(marker='doctor-week'):  # only what is still booked and ahead
        await see(user, 'Bob Builder')
        await user.should_not_see('Ada Lovelace')
    await see(user, kind=ui.link, content='My patients')


# --- The doctor's patients --------------------------------------------------------------------------------------------


async def test_the_doctors_patients_list_searches_and_opens_a_history(user: User, clinic: Clinic) -> None:
    seen = book(clinic, 2, 9)
    complete(clinic, seen)
    later = book(clinic, 4, 10, reason='Follow-up')
    book(clinic, 2, 10, patient=clinic.other_patient)
    await as_doctor(user, clinic)
    user.find(kind=ui.link, content='My patients').click()
    await see(user, 'Search my patients')
    await eventually(
        lambda: [r['name'] for r in rows(user, 'my-patients')] == ['Ada Lovelace', 'Bob Builder'],
        'both patients listed',
    )
    ada = rows(user, 'my-patients')[0]
    assert (ada['last_visit'], ada['next_visit'], ada['appointments']) == (
        'Mon 2 Mar 2026, 09:00',
        'Wed 4 Mar 2026, 10:00',
        2,
    )
    fill(user, 'BUIL', marker='patient-search')
    await eventually(lambda: [r['name'] for r in rows(user, 'my-patients')] == ['Bob Builder'], 'only Bob')
    fill(user, 'nobody', marker='patient-search')
    await see(user, 'None of your patients matches this search.')

    await user.open(f'/doctor/patients/{clinic.patient.user_id}')
    with user.scope(marker='patient-summary'):
        await see(user, 'Ada Lovelace')
        await see(user, '35 years')
        await see(user, 'Female')
        await see(user, 'Not recorded')  # blood group
    with user.scope(marker=f'upcoming-{later}'):
        await see(user, 'Wed 4 Mar 2026, 10:00')
        await see(user, 'Reason: Follow-up')
    with user.scope(marker=f'visit-{seen}'):
        await see(user, 'Seasonal influenza')
        await see(user, 'Meredith Grey · Cardiology')
        await see(user, 'Watch for secondary infection.')  # private notes: for clinicians
        await see(user, 'Full blood count')
        await see(user, 'Mon 16 Mar 2026')
    assert [m['name'] for m in rows(user, f'prescription-{seen}')] == ['Paracetamol']


async def test_a_doctor_cannot_open_the_history_of_a_patient_who_never_saw_them(user: User, clinic: Clinic) -> None:
    complete(clinic, book(clinic, 2, 9))
    await as_doctor(user, clinic, clinic.other_doctor)
    for patient_id in (clinic.patient.user_id, 999999, 'abc'):
        await user.open(f'/doctor/patients/{patient_id}')
        await see(user, 'No such patient among yours.')
        await user.should_not_see('Seasonal influenza')
    await user.open('/doctor/patients')
    await see(user, 'No patients yet.')


# --- The patient's profile and access log -----------------------------------------------------------------------------


async def test_profile_edit_shows_an_inline_error_for_a_future_birth_date_and_saves_a_valid_edit(
    user: User, clinic: Clinic
) -> None:
    await as_patient(user)
    await see(user, 'Profile', kind=ui.item_section)  # in the navigation
    await user.open('/patient/profile')
    await see(user, 'My profile')
    assert element(user, label='Full name').value == 'Ada Lovelace'
    fill(user, '2999-01-01', label='Date of birth')
    user.find(marker='save-profile').click()
    await eventually(lambda: 'future' in (element(user, label='Date of birth').error or ''), 'the date-of-birth error')
    with clinic.ctx.uow() as uow:
        assert profile.get_profile(uow, clinic.patient).dob == date(1990, 12, 10)

    fill_in(
        user,
        {
            'Date of birth': '1990-12-11',
            'Blood group': 'AB-',
            'Allergies': 'Penicillin',
            'Emergency contact': 'Charles Babbage, +44 20 7946 0001',
            'Phone': '+44 20 7946 0999',
        },
    )
    user.find(marker='save-profile').click()
    await see(user, 'Your details are saved.')
    assert element(user, label='Date of birth').error is None
    with clinic.ctx.uow() as uow:
        saved = profile.get_profile(uow, clinic.patient)
    assert (saved.dob, saved.blood_group, saved.allergies, saved.phone) == (
        date(1990, 12, 11),
        'AB-',
        'Penicillin',
        '+44 20 7946 0999',
    )
    assert saved.emergency_contact == 'Charles Babbage, +44 20 7946 0001'

    await user.open('/patient/profile')  # it stays after a reload; emptying a field clears it
    assert element(user, label='Blood group').value == 'AB-'
    fill(user, '', label='Allergies')
    user.find(marker='save-profile').click()
    await eventually(lambda: _profile(clinic).allergies is None, 'the allergies cleared')


def _profile(clinic: Clinic) -> profile.ProfileView:
    with clinic.ctx.uow() as uow:
        return profile.get_profile(uow, clinic.patient)


async def test_an_email_change_with_a_wrong_password_is_refused(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    await user.open('/patient/profile')
    fill_in(user, {'New email': 'ada@new.example.com', 'Current password': 'not-my-password'})
    user.find(marker='change-email').click()
    await eventually(lambda: element(user, label='Current password').error == 'This is not your password.', 'refused')
    assert text_of(user, 'current-email') == 'ada@example.com'
    with clinic.ctx.uow() as uow:
        assert profile.get_profile(uow, clinic.patient).email == 'ada@example.com'

    fill_in(user, {'New email': 'BOB@example.com', 'Current password': PATIENT_PASSWORD})
    user.find(marker='change-email').click()
    await eventually(lambda: bool(element(user, label='New email').error), 'the email-taken error')

    fill_in(user, {'New email': 'ada@new.example.com', 'Current password': PATIENT_PASSWORD})
    user.find(marker='change-email').click()
    await see(user, 'Your sign-in email is now ada@new.example.com.')
    assert text_of(user, 'current-email') == 'ada@new.example.com'


async def test_the_access_log_shows_the_doctors_history_view(user: User, clinic: Clinic) -> None:
    complete(clinic, book(clinic, 2, 9))
    await as_patient(user)
    await user.open('/patient/access-log')
    await eventually(lambda: bool(rows(user, 'access-log')), 'the log')
    assert ('Meredith Grey', 'Doctor', 'Viewed your history') not in _log(user)

    await as_doctor(user, clinic)
    await user.open(f'/doctor/patients/{clinic.patient.user_id}')
    await see(user, 'Seasonal influenza')

    await as_patient(user)
    await see(user, 'Who looked at my record', kind=ui.item_section)
    await user.open('/patient/access-log')
    await eventually(lambda: ('Meredith Grey', 'Doctor', 'Viewed your history') in _log(user), 'the history view')
    assert ('Meredith Grey', 'Doctor', 'Recorded a visit') in _log(user)
    assert rows(user, 'access-log')[0]['at'].startswith('Mon 2 Mar 2026')


def _log(user: User) -> list[tuple[str, str, str]]:
    return [(row['who'], row['role'], row['action']) for row in rows(user, 'access-log')]


async def test_pages_belong_to_their_role(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    for path in ('/doctor', '/doctor/patients', f'/doctor/patients/{clinic.patient.user_id}', '/doctor/appointments/1'):
        await user.open(path)
        await see(user, FORBIDDEN)
    await as_doctor(user, clinic)
    for path in (
        '/patient/visits',
        '/patient/profile',
        '/patient/access-log',
        f'/admin/doctors/{clinic.doctor.user_id}',
    ):
        await user.open(path)
        await see(user, FORBIDDEN)
    await see(user, 'My patients', kind=ui.item_section)


# --- The administrator ------------------------------------------------------------------------------------------------


async def test_the_admin_sees_a_patients_history_and_a_doctors_schedule(user: User, clinic: Clinic) -> None:
    seen = book(clinic, 2, 9)
    complete(clinic, seen)
    book(clinic, 3, 10, patient=clinic.other_patient, reason='Palpitations')
    await as_admin(user)
    await user.open(f'/admin/patients/{clinic.patient.user_id}')
    await see(user, 'Contact details')
    with user.scope(marker='visits'):
        await see(user, 'History')
        await see(user, 'Seasonal influenza')
        await see(user, 'Meredith Grey · Cardiology')
        await see(user, 'Stay home until the fever is gone.')
    assert [m['name'] for m in rows(user, f'prescription-{seen}')] == ['Paracetamol']
    await user.open(f'/admin/patients/{clinic.other_patient.user_id}')
    with user.scope(marker='visits'):
        await see(user, 'No completed visits yet.')

    await user.open(f'/admin/doctors/{clinic.doctor.user_id}')
    with user.scope(marker='doctor-profile'):
        await see(user, 'grey@clinic.test')
        await see(user, 'Cardiology')
    with user.scope(marker='schedule'):
        await see(user, 'Ada Lovelace, 35 years')
        await user.should_not_see('Bob Builder')
        await user.should_not_see(kind=ui.button, content='Open')  # read-only
    fill(user, 7, marker='schedule-days')
    with user.scope(marker='schedule'):
        await see(user, 'Bob Builder, 35 years')
        await see(user, 'Palpitations')
    await user.open('/admin/doctors/424242')
    await see(user, 'No such doctor: there is no doctor with the ID "424242".')


async def test_a_visit_the_patient_cancelled_meanwhile_is_not_completed_and_the_page_says_why(
    user: User, clinic: Clinic
) -> None:
    appointment_id = book(clinic, 2, 11)  # today, after the patients' cut-off for cancelling online
    await as_doctor(user, clinic)
    user.find(marker=f'open-{appointment_id}').click()
    await see(user, 'Record the visit')
    fill_in(user, {'diagnosis': 'Acute bronchitis', 'treatment': 'Inhalation'}, by='marker')
    with clinic.ctx.uow() as uow:  # the patient cancels from their phone while the doctor types
        appointments.cancel(uow, clinic.ctx.settings, clinic.patient, appointment_id)
    user.find(marker='save-treatment').click()
    await see(user, 'This appointment was cancelled by the patient a moment ago. Your change was not made.')
    assert status_of(clinic, appointment_id) is AppointmentStatus.CANCELLED
