"""Scheduling pages through NiceGUI's simulated user: the doctor's availability, finding a doctor, booking, and the
patient's appointments (reschedule, cancel, cut-off, notices).

``user`` comes first in every signature: it runs main.py (which initialises the application context from the
environment); ``clinic`` then replaces that context with the Berlin clinic and its frozen clock.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from nicegui import ui
from nicegui.testing import User

from hms import context
from hms.clock import ManualClock
from hms.domain.enums import AppointmentStatus
from hms.domain.scheduling import BookingIn, DepartmentIn, DoctorIn
from hms.services import appointments, availability, departments, doctors, notices
from hms.services.principal import Principal

from . import page_steps
from .page_steps import PATIENCE, as_doctor, as_patient, see, text_of
from .scheduling_fixtures import Clinic, local  # the clinic fixture itself comes from conftest.py

TUESDAY = '2026-03-03'
DASH = '\N{EN DASH}'
FULL_DAY = f'09:00{DASH}13:00, 14:00{DASH}17:00'
# A check that fails an assertion (a refreshing list is briefly empty) is not yet true.
eventually = partial(page_steps.eventually, tolerate=(AssertionError,))


def book(clinic: Clinic, day: int, hour: int, minute: int = 0, patient: Principal | None = None) -> int:
    with clinic.ctx.uow() as uow:
        booked = appointments.book(
            uow,
            clinic.ctx.settings,
            patient or clinic.patient,
            BookingIn(doctor_id=clinic.doctor.user_id, start=local(day, hour, minute), reason='Check-up'),
        )
    return booked.id


def status_of(clinic: Clinic, appointment_id: int) -> AppointmentStatus:
    with clinic.ctx.uow() as uow:
        return appointments.get_appointment(uow, clinic.admin, appointment_id).status


def slot_days(clinic: Clinic) -> set[str]:
    with clinic.ctx.uow() as uow:
        slots = availability.free_slots(uow, clinic.ctx.settings, clinic.doctor.user_id)
    return {slot.start.astimezone(clinic.ctx.settings.zone).date().isoformat() for slot in slots}


async def test_pages_use_the_clinic_context_that_replaced_main_pys(user: User, clinic: Clinic) -> None:
    assert context.get() is clinic.ctx and context.get().settings.timezone == 'Europe/Berlin'
    book(clinic, 3, 10)  # 09:00 UTC
    await as_patient(user)
    await user.open('/patient/appointments')
    await see(user, 'Tue 3 Mar 2026, 10:00')  # shown in Berlin time
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, marker='slot-2026-03-02T09:00')  # Monday 08:00 in Berlin: 09:00 is still bookable


async def test_doctor_makes_a_day_off_and_copies_the_template_back(user: User, clinic: Clinic) -> None:
    await as_doctor(user, clinic)
    await user.open('/doctor/availability')
    await see(user, marker=f'hours-{TUESDAY}')  # the week is loaded after the page answers
    assert text_of(user, f'hours-{TUESDAY}') == FULL_DAY
    assert text_of(user, 'hours-2026-03-07') == 'Day off'  # Saturday, from the template
    with user.scope(marker=f'day-{TUESDAY}'):
        user.find(marker='day-off').click()
    await eventually(lambda: text_of(user, f'hours-{TUESDAY}') == 'Day off', 'Tuesday off')
    await see(user, 'Changed for this day')
    assert TUESDAY not in slot_days(clinic)

    await as_patient(user)
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, marker='slots-2026-03-04')
    await user.should_not_see(marker=f'slots-{TUESDAY}')
    await user.should_not_see('Tue 3 Mar')

    await as_doctor(user, clinic)
    await user.open('/doctor/availability')
    await see(user, marker=f'hours-{TUESDAY}')
    assert text_of(user, f'hours-{TUESDAY}') == 'Day off'
    user.find(marker='copy-template').click()
    await eventually(lambda: text_of(user, f'hours-{TUESDAY}') == FULL_DAY, 'Tuesday back to the template')
    await user.should_not_see('Changed for this day')
    assert TUESDAY in slot_days(clinic)


async def test_doctor_edits_a_day_and_resets_it(user: User, clinic: Clinic) -> None:
    await as_doctor(user, clinic)
    await user.open('/doctor/availability')
    await see(user, marker=f'day-{TUESDAY}')  # the week is loaded after the page answers
    with user.scope(marker=f'day-{TUESDAY}'):
        user.find(marker='edit-day').click()
    await see(user, marker='day-dialog')
    with user.scope(marker='day-dialog'):
        with user.scope(marker='window-1'):
            user.find(marker='until').clear().type('15:30')
        user.find(marker='add-window').click()
        with user.scope(marker='window-2'):
            user.find(marker='from').type('15:00')
            user.find(marker='until').type('18:00')
        user.find(marker='save-day').click()
        await see(user, 'Windows 14:00-15:30 and 15:00-18:00 overlap')  # stays open, says why
        with user.scope(marker='window-2'):
            user.find(marker='from').clear().type('16:00')
        user.find(marker='save-day').click()
    await eventually(
        lambda: text_of(user, f'hours-{TUESDAY}') == f'09:00{DASH}13:00, 14:00{DASH}15:30, 16:00{DASH}18:00',
        'Tuesday edited',
    )
    await user.should_not_see(marker='day-dialog')
    with user.scope(marker=f'day-{TUESDAY}'):
        user.find(marker='reset-day').click()
    await eventually(lambda: text_of(user, f'hours-{TUESDAY}') == FULL_DAY, 'Tuesday reset')


async def test_removing_hours_that_hold_a_booking_asks_first_and_cancels_when_confirmed(
    user: User, clinic: Clinic
) -> None:
    booked = book(clinic, 3, 10)
    await as_doctor(user, clinic)
    await user.open('/doctor/availability')
    await see(user, marker=f'day-{TUESDAY}')  # the week is loaded after the page answers
    with user.scope(marker=f'day-{TUESDAY}'):
        await see(user, '1 booking')
        user.find(marker='edit-day').click()
    await see(user, marker='day-dialog')
    with user.scope(marker='day-dialog'):
        with user.scope(marker='window-0'):
            user.find(marker='remove-window').click()
        user.find(marker='save-day').click()
    await see(user, 'These appointments would be cancelled and the patients notified')
    await see(user, 'Tue 3 Mar 2026, 10:00 — Ada Lovelace')

    user.find(marker='keep-appointments').click()  # first think again: nothing changes
    await user.should_not_see(marker='conflict-dialog', retries=PATIENCE)
    assert status_of(clinic, booked) is AppointmentStatus.BOOKED
    assert text_of(user, f'hours-{TUESDAY}') == FULL_DAY

    with user.scope(marker='day-dialog'):
        user.find(marker='save-day').click()
    await see(user, marker='conflict-dialog')
    user.find(marker='confirm-cancel').click()
    await eventually(lambda: text_of(user, f'hours-{TUESDAY}') == '14:00\N{EN DASH}17:00', 'Tuesday afternoon only')
    await see(user, '1 appointment cancelled; the patients were notified.')
    assert status_of(clinic, booked) is AppointmentStatus.CANCELLED
    with clinic.ctx.uow() as uow:  # the appointment's notices, not the welcome
        unread = [n for n in notices.my_notices(uow, clinic.patient) if not n.read and n.appointment_id]
    assert [n.subject for n in unread] == ['Your appointment was cancelled']

    await as_patient(user)  # the patient sees the notice at home, then on the appointments page, where it is read
    await see(user, 'New messages from the clinic')
    await user.open('/patient/appointments')
    await see(user, 'New messages from the clinic')
    await see(user, 'The doctor is no longer available at this time.')
    with clinic.ctx.uow() as uow:
        assert all(n.read for n in notices.my_notices(uow, clinic.patient) if n.appointment_id)
    await user.open('/patient/appointments')
    await see(user, 'Earlier messages (2)')  # the cancellation and the welcome
    await user.should_not_see('New messages from the clinic')


async def test_changing_the_weekly_template_keeps_day_changes(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:  # Wednesday off, changed for that day only
        availability.set_day(uow, clinic.ctx.settings, clinic.doctor, local(4, 0).date(), [])
    await as_doctor(user, clinic)
    await user.open('/doctor/availability')
    await see(user, 'Weekly template')
    with user.scope(marker='template-5'):  # Saturday mornings from now on
        user.find(marker='add-window').click()
        with user.scope(marker='window-0'):
            user.find(marker='until').clear().type('12:00')
    user.find(marker='save-template').click()
    await eventually(lambda: text_of(user, 'hours-2026-03-07') == '09:00\N{EN DASH}12:00', 'Saturday opened')
    assert text_of(user, 'hours-2026-03-04') == 'Day off'  # the override was kept
    with clinic.ctx.uow() as uow:
        view = availability.get_availability(uow, clinic.ctx.settings, clinic.doctor)
    assert [(w.start.hour, w.end.hour) for day, w in view.weekly if day == 5] == [(9, 12)]
    assert [day.isoformat() for day, _ in view.overrides] == ['2026-03-04']


async def test_patient_finds_a_doctor_books_reschedules_and_cancels(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        skin = departments.create_department(uow, clinic.admin, DepartmentIn(name='Dermatology'))
    with clinic.ctx.uow() as uow:
        doctors.add_doctor(
            uow, clinic.admin, DoctorIn(name='Gregory House', email='house@clinic.test', department_id=skin.id)
        )
    await as_patient(user)
    user.find(marker='book-appointment').click()
    await see(user, 'Specializations')
    await see(user, 'Gregory House')
    user.find('Name or specialization').type('ARDIO')
    user.find(kind=ui.button, content='Search').click()
    await user.should_not_see('Gregory House', retries=PATIENCE)
    await see(user, 'Meredith Grey')
    await see(user, 'Cardiology · 12 years of experience')

    user.find(kind=ui.link, content='Meredith Grey').click()
    await see(user, 'Free times in the next 7 days')
    await see(user, 'Cardiologist')
    await see(user, '30 minutes')
    for day, heading in (('2026-03-02', 'Mon 2 Mar'), (TUESDAY, 'Tue 3 Mar'), ('2026-03-06', 'Fri 6 Mar')):
        await see(user, marker=f'slots-{day}')  # the free times load after the page answers
        with user.scope(marker=f'slots-{day}'):
            await see(user, heading)
            await see(user, kind=ui.button, content='09:00')
            await see(user, kind=ui.button, content='16:30')
            await user.should_not_see(kind=ui.button, content='13:00')
    await user.should_not_see(marker='slots-2026-03-07')

    user.find(marker='slot-2026-03-03T10:00').click()
    with user.scope(marker='booking-dialog'):
        await see(user, 'Tue 3 Mar 2026, 10:00')
        user.find('Reason for the visit (optional)').type('Short of breath')
        user.find(marker='confirm-booking').click()
    await see(user, 'Booked: Tue 3 Mar 2026, 10:00 with Meredith Grey.')
    await see(user, 'My appointments')
    await see(user, 'Reason: Short of breath')
    with clinic.ctx.uow() as uow:
        (mine,) = appointments.my_appointments(uow, clinic.patient, upcoming=True)
    assert mine.start == local(3, 10) and mine.reason == 'Short of breath'
    with user.scope(marker=f'appointment-{mine.id}'):
        await see(user, 'Booked')
        await see(user, 'Meredith Grey · Cardiology')

    user.find(marker='reschedule').click()
    await see(user, marker='reschedule-dialog')
    with user.scope(marker='reschedule-dialog'):
        await see(user, 'Wed 4 Mar')
        user.find(marker='slot-2026-03-04T11:00').click()
        await see(user, 'New time: Wed 4 Mar 2026, 11:00')
        user.find(marker='confirm-reschedule').click()
    await see(user, 'Moved to Wed 4 Mar 2026, 11:00.')
    await see(user, 'Wed 4 Mar 2026, 11:00')
    with clinic.ctx.uow() as uow:
        assert appointments.get_appointment(uow, clinic.patient, mine.id).start == local(4, 11)

    user.find(marker='cancel').click()
    with user.scope(marker='cancel-dialog'):
        user.find(marker='confirm-cancel').click()
    await see(user, 'Appointment cancelled.')
    await eventually(lambda: text_of(user, 'status') == 'Cancelled', 'shown as cancelled')
    await user.should_not_see(marker='cancel')
    assert status_of(clinic, mine.id) is AppointmentStatus.CANCELLED


async def test_the_home_page_links_straight_to_doctors(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    await see(user, 'Nothing booked yet.')
    user.find(kind=ui.link, content='Meredith Grey (Cardiology)').click()  # home → doctor → time and confirm
    await see(user, 'Free times in the next 7 days')
    await see(user, marker='slot-2026-03-05T14:00')


async def test_search_by_a_date_with_free_slots_and_by_department(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        availability.set_day(uow, clinic.ctx.settings, clinic.other_doctor, local(5, 0).date(), [])
    await as_patient(user)
    await user.open('/patient/doctors')
    await see(user, 'Derek Shepherd')
    user.find('Has a free slot on').type('2026-03-05')
    user.find(kind=ui.button, content='Search').click()
    await user.should_not_see('Derek Shepherd', retries=PATIENCE)
    await see(user, 'Meredith Grey')
    user.find('Has a free slot on').clear().type('2026-03-07')  # Saturday: nobody works
    user.find(kind=ui.button, content='Search').click()
    await see(user, marker='no-doctors')
    user.find('Has a free slot on').clear()
    user.find(marker=f'department-{clinic.department_id}').click()
    await see(user, 'Derek Shepherd')
    await see(user, '2 doctors')


async def test_cancelling_inside_the_cutoff_says_why(user: User, clinic: Clinic, clock: ManualClock) -> None:
    booked = book(clinic, 2, 10)  # Monday 10:00; the cut-off (2 hours) is now, 08:00
    await as_patient(user)
    await user.open('/patient/appointments')
    await see(user, marker='cancel')
    clock.advance(timedelta(minutes=1))
    user.find(marker='cancel').click()
    await see(user, marker='cancel-dialog')
    with user.scope(marker='cancel-dialog'):
        user.find(marker='confirm-cancel').click()
    await see(user, 'Appointments can be cancelled online until 2 hours before they start. Please call the clinic.')
    await see(user, marker='too-late')  # and, from now on, up front
    await user.should_not_see(marker='cancel')
    assert status_of(clinic, booked) is AppointmentStatus.BOOKED
    await user.open('/patient/appointments')
    await see(user, 'Please call the clinic to change this one.')
    await user.should_not_see(marker='reschedule')


async def test_a_slot_taken_meanwhile_says_so_and_disappears(user: User, clinic: Clinic) -> None:
    await as_patient(user)
    await user.open(f'/patient/doctors/{clinic.doctor.user_id}')
    await see(user, marker='slot-2026-03-03T09:00')  # the free times load after the page answers
    user.find(marker='slot-2026-03-03T09:00').click()
    await see(user, marker='booking-dialog')
    book(clinic, 3, 9, patient=clinic.other_patient)  # Bob is quicker
    user.find(marker='confirm-booking').click()
    await see(user, 'This slot was just taken')
    await user.should_not_see(marker='booking-dialog')
    await user.should_not_see(marker='slot-2026-03-03T09:00', retries=PATIENCE)
    await see(user, marker='slot-2026-03-03T09:30')
    with clinic.ctx.uow() as uow:
        assert appointments.my_appointments(uow, clinic.patient) == []


async def test_unknown_or_inactive_doctors_are_not_bookable(user: User, clinic: Clinic) -> None:
    with clinic.ctx.uow() as uow:
        doctors.set_active(uow, clinic.ctx.settings, clinic.admin, clinic.other_doctor.user_id, active=False)
    await as_patient(user)
    odd = ('99999', 'abc', '\N{SUPERSCRIPT TWO}', '9' * 30, str(clinic.other_doctor.user_id))
    for path in (f'/patient/doctors/{doctor_id}' for doctor_id in odd):
        await user.open(path)
        await see(user, 'No such doctor: this doctor does not exist or is not taking bookings.')
    await user.open('/patient/doctors')
    await see(user, 'Meredith Grey')
    await user.should_not_see('Derek Shepherd')


async def test_doctor_home_lists_the_week_and_pages_belong_to_their_role(user: User, clinic: Clinic) -> None:
    book(clinic, 3, 10)
    cancelled = book(clinic, 4, 10, patient=clinic.other_patient)
    with clinic.ctx.uow() as uow:
        appointments.cancel(uow, clinic.ctx.settings, clinic.other_patient, cancelled)
    await as_doctor(user, clinic)
    with user.scope(marker='doctor-week'):
        await see(user, 'Tuesday 3 March')
        await see(user, 'Ada Lovelace')
        await user.should_not_see('Bob Builder')  # cancelled: not on the schedule
        await see(user, kind=ui.link, content='Manage my availability')
    for path in ('/patient/doctors', f'/patient/doctors/{clinic.doctor.user_id}', '/patient/appointments'):
        await user.open(path)
        await see(user, 'You do not have access to this page.')
    await as_patient(user)
    await user.open('/doctor/availability')
    await see(user, 'You do not have access to this page.')
