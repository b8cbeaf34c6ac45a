"""Every task with the keyboard alone, in a real browser against the real server: only Tab, Shift+Tab, Enter, Space
and Escape move and act (and typing fills fields). After each step the test asserts where the focus is, that it is
visibly marked (an outline of at least 2 px, not hidden under the sticky header), that dialogs take the focus, are
named, close on Escape and give the focus back, and that outcomes are announced on the page the user ends up on.

Journeys: signing in (with the skip link and the password's show button), registering, booking and cancelling as a
patient (the specialization filters as toggle buttons), completing a visit as a doctor, changing the dashboard's
filters and reading a chart's figures in its table as an admin, and the front desk checking a patient in and opening
the patient's bookings; the phone's navigation drawer; and the pages at 200 % zoom (a 640 px wide viewport at twice
the pixel density: what 1280 px shows zoomed) without sideways scrolling.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .accessibility import Cast, book, cast, violations
from .browsing import Browsing, Clinic
from .checks import fits, sign_in, sign_in_by_keyboard

desktop = pytest.mark.parametrize('browsing', ['desktop'], indirect=True)
phone = pytest.mark.parametrize('browsing', ['phone'], indirect=True)
TAB_LIMIT = 120  # a guard against a focus trap or an unreachable control, not a measure

FOCUS_RING = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const field = element.closest('.q-field');
    const ringed = field ? field.querySelector('.q-field__control') : element;
    const style = getComputedStyle(ringed);
    const box = element.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + Math.min(box.height / 2, 8));
    const header = document.querySelector('header.q-header');
    const covered = hit !== null && header !== null && header.contains(hit) && !header.contains(element);
    const html = element.outerHTML.slice(0, 160);
    return {width: parseFloat(style.outlineWidth), style: style.outlineStyle, covered, html};
}"""


@pytest.fixture(scope='module')
def people(clinic: Clinic) -> Cast:
    return cast(clinic, 'keys')


def focused_html(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : ''"))


def has_focus(target: Locator) -> bool:
    return bool(target.evaluate('el => el === document.activeElement || el.contains(document.activeElement)'))


def ring(page: Page) -> None:
    """The focused control shows an outline of at least 2 px and is not hidden under the sticky header."""
    seen = page.evaluate(FOCUS_RING)
    assert seen is not None, f'{page.url}: nothing has the focus'
    assert seen['style'] != 'none' and seen['width'] >= 2, f'{page.url}: no visible focus ring on {seen["html"]}'
    assert not seen['covered'], f'{page.url}: the focused {seen["html"]} is under the sticky header'


def tab_to(page: Page, target: Locator, *, back: bool = False) -> None:
    """Press Tab (Shift+Tab with ``back``) until ``target`` has the focus; each stop shows a focus ring."""
    expect(target).to_be_visible()
    for _ in range(TAB_LIMIT):
        page.keyboard.press('Shift+Tab' if back else 'Tab')
        if has_focus(target):
            ring(page)
            return
    where = focused_html(page)
    raise AssertionError(f'{page.url}: {target} not reached by {TAB_LIMIT} Tab presses; the focus is on {where}')


def focus_is(target: Locator) -> None:
    expect(target).to_be_visible()
    target.page.wait_for_function(
        'el => el === document.activeElement || el.contains(document.activeElement)', arg=target.element_handle()
    )
    ring(target.page)


def dialog_opened(page: Page, name: str | re.Pattern[str]) -> Locator:
    """The dialog named ``name`` is open and holds the focus."""
    dialog = page.get_by_role('dialog', name=name)
    expect(dialog).to_be_visible()
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('[role=dialog]') !== null")
    # Quasar fades the dialog in: its colours are the final ones once the transition has ended
    page.wait_for_function("() => document.getAnimations().every(animation => animation.playState !== 'running')")
    return dialog


def announced(page: Page, text: str | re.Pattern[str]) -> None:
    """An outcome told in the page's polite live region."""
    expect(page.get_by_role('status').filter(has_text=text).first).to_be_visible()


@desktop
def test_signing_in_with_the_skip_link_and_the_password_button(browsing: Browsing, people: Cast) -> None:
    page = browsing.page('patient')
    page.goto('/login')
    email, password = page.get_by_label('Email', exact=True), page.get_by_label('Password', exact=True)
    focus_is(email)  # the form's first field has the focus on arrival
    page.keyboard.type(people.accounts['patient'][0])
    page.keyboard.press('Tab')
    focus_is(password)
    page.keyboard.type(people.accounts['patient'][1])
    show = page.get_by_role('button', name='Show password')
    page.keyboard.press('Tab')
    focus_is(show)
    page.keyboard.press('Space')
    expect(show).to_have_attribute('aria-pressed', 'true')
    expect(password).to_have_attribute('type', 'text')
    focus_is(show)  # the button keeps the focus
    page.keyboard.press('Shift+Tab')
    focus_is(password)
    page.keyboard.press('Enter')
    page.wait_for_url(re.compile(r'/patient$'))

    # The first Tab stop is the skip link; it takes the focus past the header and the navigation.
    page.keyboard.press('Tab')
    skip = page.get_by_role('link', name='Skip to main content')
    focus_is(skip)
    page.keyboard.press('Enter')
    expect(page.locator('main')).to_be_visible()
    page.wait_for_function("() => document.activeElement.closest('main') !== null")
    page.keyboard.press('Tab')
    page.wait_for_function("() => document.activeElement.closest('main') !== null")  # the next stop is content
    ring(page)


@desktop
def test_registering_with_the_keyboard(browsing: Browsing) -> None:
    page = browsing.page('newcomer')
    page.goto('/register')
    values = {
        'Full name': 'Keys Newcomer',
        'Email': 'keys.newcomer@example.test',
        'Password': 'silver-birch-orchard-58',
        'Date of birth': '1991-06-15',
        'Phone': '+49 30 5550101',
        'Address': '3 Quay',
    }
    for label, value in values.items():
        tab_to(page, page.get_by_label(label, exact=True))
        page.keyboard.type(value)
    gender = page.get_by_label('Gender', exact=True)
    tab_to(page, gender)
    page.keyboard.press('Enter')  # opens the choice
    page.keyboard.type('Female')  # Quasar's select picks the first option holding the typed letters in order
    page.keyboard.press('Enter')
    expect(page.locator('.q-field').filter(has=gender)).to_contain_text('Female')
    page.keyboard.press('Escape')
    create = page.get_by_role('button', name='Create account')
    tab_to(page, create)
    page.keyboard.press('Enter')
    expect(page.get_by_role('alert').filter(has_text=re.compile('sign in', re.I)).first).to_be_visible()
    focus_is(page.get_by_role('button', name='Sign in'))  # the form is gone: the focus is on the next step
    page.keyboard.press('Enter')
    page.wait_for_url(re.compile(r'/login'))
    sign_in_by_keyboard(page, values['Email'], values['Password'])


@desktop
def test_booking_and_cancelling_as_a_patient(browsing: Browsing, people: Cast) -> None:
    page = browsing.page('patient')
    sign_in_by_keyboard(page, *people.accounts['patient'])
    page.goto('/patient/doctors')
    filters = page.get_by_role('group', name='Specializations')
    department = filters.get_by_role('button', name=re.compile('^Access keys'))
    tab_to(page, department)
    page.keyboard.press('Space')
    expect(department).to_have_attribute('aria-pressed', 'true')
    focus_is(department)  # the list of doctors was drawn again; the focus stays on the pressed button
    everyone = page.get_by_role('button', name='All specializations')
    expect(everyone).to_have_attribute('aria-pressed', 'false')

    see_times = page.get_by_role('button', name='See free times of Access Doctor Keys')
    tab_to(page, see_times)
    page.keyboard.press('Enter')
    page.wait_for_url(re.compile(r'/patient/doctors/\d+$'))
    slot = page.locator('main .q-btn').filter(has_text=re.compile(r'^\d\d:\d\d$')).first
    tab_to(page, slot)
    page.keyboard.press('Enter')
    dialog = dialog_opened(page, 'Confirm your appointment')
    page.keyboard.press('Escape')  # backing out closes it and gives the focus back to the time
    expect(dialog).to_be_hidden()
    focus_is(slot)
    page.keyboard.press('Enter')
    dialog = dialog_opened(page, 'Confirm your appointment')
    tab_to(page, dialog.get_by_role('button', name='Book this time'))
    page.keyboard.press('Enter')
    page.wait_for_url(re.compile(r'/patient/appointments$'))
    announced(page, 'Booked:')  # told on the page the patient ends up on

    cancel = page.get_by_role('button', name=re.compile('^Cancel the appointment of')).last
    tab_to(page, cancel)
    page.keyboard.press('Enter')
    dialog = dialog_opened(page, 'Cancel this appointment?')
    tab_to(page, dialog.get_by_role('button', name='Yes, cancel it'))
    page.keyboard.press('Enter')
    expect(dialog).to_be_hidden()
    expect(page.get_by_text('Appointment cancelled.')).to_be_visible()


@desktop
def test_completing_a_visit_as_a_doctor(browsing: Browsing, people: Cast) -> None:
    page = browsing.page('doctor')
    sign_in_by_keyboard(page, *people.accounts['doctor'])
    page.goto(f'/doctor/appointments/{people.samples["appointment_id"]}')
    diagnosis = page.get_by_label('Diagnosis', exact=True)
    tab_to(page, diagnosis)
    page.keyboard.type('Seasonal allergy')
    page.keyboard.press('Tab')
    focus_is(page.get_by_label('Treatment given', exact=True))
    page.keyboard.type('Advice')
    add = page.get_by_role('button', name='Add medicine')
    tab_to(page, add)
    page.keyboard.press('Enter')
    medicine = page.get_by_label('Medicine', exact=True).last
    tab_to(page, medicine)
    page.keyboard.type('Cetirizine')
    page.keyboard.press('Tab')
    page.keyboard.type('10 mg')
    complete = page.get_by_role('button', name='Complete visit')
    tab_to(page, complete)
    page.keyboard.press('Enter')
    expect(page.get_by_text('Seasonal allergy').first).to_be_visible()
    expect(page.get_by_role('button', name='Complete visit')).to_have_count(0)
    assert page.evaluate('() => document.activeElement !== null'), 'the focus was lost'


@desktop
def test_dashboard_filters_and_a_charts_figures_as_an_admin(browsing: Browsing, clinic: Clinic, people: Cast) -> None:
    page = browsing.page('admin')
    sign_in_by_keyboard(page, clinic.admin_email, clinic.admin_password)
    period = page.get_by_label('Period', exact=True)
    tab_to(page, period)
    page.keyboard.press('Enter')
    page.keyboard.type('Last 90')
    page.keyboard.press('Enter')
    page.keyboard.press('Escape')
    expect(page.locator('.q-field').filter(has=period)).to_contain_text('Last 90 days')
    focus_is(period)
    doctor = page.get_by_label('Doctor', exact=True)
    tab_to(page, doctor)
    page.keyboard.type('Access Doctor Keys')
    page.keyboard.press('Enter')
    expect(doctor).to_have_value('Access Doctor Keys')

    show = page.get_by_role('button', name=re.compile('^(Show as|Hide) table: Appointments per day$'))
    tab_to(page, show)
    page.keyboard.press('Enter')
    expect(show).to_have_attribute('aria-expanded', 'true')
    expect(show).to_have_accessible_name('Hide table: Appointments per day')
    table = page.get_by_role('table', name='Appointments per day')
    expect(table).to_be_visible()
    expect(table.get_by_role('columnheader', name='Date')).to_be_visible()
    expect(table.get_by_role('row')).to_have_count(91)  # a header and one row a day of the 90 days
    figures = [int(text.replace(',', '')) for text in table.locator('tbody td.num').all_inner_texts()]
    assert sum(figures) >= 1, 'the bookings of the keyboard patient are among the figures'
    focus_is(show)
    # Plotly's toolbar is out of the Tab order: from the table switch, Tab goes on to the table and the next chart.
    page.keyboard.press('Tab')
    assert page.evaluate("() => !document.activeElement.closest('.modebar')"), focused_html(page)


@desktop
def test_the_front_desk_books_and_checks_a_patient_in(browsing: Browsing, clinic: Clinic, people: Cast) -> None:
    if 'reception' not in people.accounts:
        pytest.skip(people.missing['reception'])
    page = browsing.page('reception')
    sign_in_by_keyboard(page, *people.accounts['reception'])
    page.goto(f'/reception/book?patient={people.samples["patient_id"]}')
    expect(page.get_by_role('heading', name='Book for a patient', level=1)).to_be_visible()
    doctor = page.get_by_label('Doctor', exact=True)
    tab_to(page, doctor)
    page.keyboard.press('Enter')
    # Quasar's select picks the first option holding the typed letters in order: the whole label is unambiguous
    page.keyboard.type('Access Doctor Keys · Access keys')
    page.keyboard.press('Enter')
    expect(page.locator('.q-field').filter(has=doctor)).to_contain_text('Access Doctor Keys')
    page.keyboard.press('Escape')
    free_time = page.get_by_role('radio', name=re.compile(r'^\d\d:\d\d$')).first
    time = free_time.inner_text().strip()
    tab_to(page, free_time)
    page.keyboard.press('Space')
    expect(free_time).to_have_attribute('aria-checked', 'true')
    tab_to(page, page.get_by_label('Reason for the visit (required)', exact=True))
    page.keyboard.type('Follow-up at the desk')
    tab_to(page, page.get_by_role('button', name='Book', exact=True))
    page.keyboard.press('Enter')
    expect(page.get_by_role('radio', name=f'{time} (taken)')).to_be_visible()  # booked: the time is taken now
    assert page.evaluate('() => document.activeElement !== document.body'), 'the focus fell to the page top'

    page.goto('/reception')
    check_in = page.get_by_role('button', name=re.compile('Check in'))
    label = check_in.first.get_attribute('aria-label') or ''
    patient = re.sub(r'^Check in (.*) \(\d\d:\d\d\)$', r'\1', label)
    row_controls = check_in.first.get_attribute('data-hms-focus')  # the name the row's controls share
    tab_to(page, check_in.first)
    page.keyboard.press('Enter')
    expect(page.get_by_text(re.compile('is checked in: ticket'))).to_be_visible()
    # The list is drawn anew with the patient checked in (no Check in button any more): the focus goes to the
    # row's next control, never to the page's top.
    next_control = page.get_by_role('link', name=f"{patient}'s appointments").and_(
        page.locator(f'[data-hms-focus="{row_controls}"]')
    )
    expect(next_control).to_be_focused()


@phone
def test_the_phone_menu_takes_the_focus_and_gives_it_back(browsing: Browsing, people: Cast) -> None:
    page = browsing.page('patient')
    sign_in(page, *people.accounts['patient'])
    menu = page.get_by_role('button', name='Open navigation')
    expect(menu).to_have_attribute('aria-expanded', 'false')
    tab_to(page, menu)
    page.keyboard.press('Enter')
    expect(menu).to_have_attribute('aria-expanded', 'true')
    navigation = page.get_by_role('navigation', name='Main navigation')
    focus_is(navigation.get_by_role('link', name='Home'))
    expect(navigation.get_by_role('link', name='Home')).to_have_attribute('aria-current', 'page')
    problems = violations(page, '/patient (phone, navigation open)')
    assert not problems, '\n'.join(problems)
    page.keyboard.press('Escape')
    expect(menu).to_have_attribute('aria-expanded', 'false')
    expect(navigation).to_be_hidden()
    focus_is(menu)


@desktop
def test_pages_zoomed_to_200_percent_need_no_sideways_scrolling(
    browsing: Browsing, clinic: Clinic, people: Cast
) -> None:
    """1280 px at 200 % zoom lays out as 640 CSS px at twice the density: nothing may stick out sideways."""
    zoomed = browsing.page('zoom', viewport={'width': 640, 'height': 400}, device_scale_factor=2)
    for role, paths in {
        'admin': ['/admin', '/admin/doctors', '/admin/appointments'],
        'patient': ['/patient', '/patient/doctors', '/patient/appointments'],
        'doctor': ['/doctor', f'/doctor/appointments/{people.samples["appointment_id"]}'],
    }.items():
        zoomed.context.clear_cookies()
        email, password = (clinic.admin_email, clinic.admin_password) if role == 'admin' else people.accounts[role]
        sign_in(zoomed, email, password)
        for path in paths:
            zoomed.goto(path)
            expect(zoomed.get_by_role('heading', level=1).first).to_be_visible()
            zoomed.wait_for_load_state('networkidle')
            fits(zoomed)


# (role, page, the button that opens it, the dialog's name): the pages' dialogs, each opened from the keyboard
DIALOGS: list[tuple[str, str, str | re.Pattern[str], str | re.Pattern[str]]] = [
    ('admin', '/admin/departments', 'Add department', 'Add department'),
    ('admin', '/admin/doctors', 'Add doctor', 'Add doctor'),
    ('admin', '/admin/receptionists', 'Add receptionist', 'Add receptionist'),
    ('admin', '/admin/patients/{patient_id}', re.compile('^Blacklist'), re.compile('^Blacklist .*\\?$')),
    ('doctor', '/doctor/appointments/{appointment_id}', 'Cancel appointment', 'Cancel this appointment?'),
    ('doctor', '/doctor/availability', re.compile('^Edit hours of'), re.compile('^Hours on')),
    ('patient', '/patient/appointments', re.compile('^Reschedule the appointment of'), 'Choose a new time'),
    ('patient', '/patient/appointments', re.compile('^Cancel the appointment of'), 'Cancel this appointment?'),
    ('patient', '/patient/doctors/{doctor_id}', re.compile(r', \d\d:\d\d$'), 'Confirm your appointment'),
]


@pytest.mark.parametrize('browsing', ['desktop', 'phone'], indirect=True)
def test_dialogs_are_named_take_the_focus_pass_axe_and_give_it_back(
    browsing: Browsing, clinic: Clinic, people: Cast, request: pytest.FixtureRequest
) -> None:
    """Each page's dialogs, opened with Enter: axe finds nothing with the dialog open (in the device's theme), the
    dialog is named and holds the focus, and Escape closes it and gives the focus back to the button."""
    device = str(request.node.callspec.params['browsing'])
    upcoming = str(book(clinic, people))  # the patient's, to reschedule or cancel, and the doctor's, to cancel
    samples = {**people.samples, 'appointment_id': upcoming}
    problems: list[str] = []
    pages: dict[str, Page] = {}
    for role, template, opener_name, dialog_name in DIALOGS:
        if role not in pages:
            pages[role] = browsing.page(role)
            email, password = (clinic.admin_email, clinic.admin_password) if role == 'admin' else people.accounts[role]
            sign_in(pages[role], email, password)
        page = pages[role]
        page.goto(re.sub(r'\{(\w+)\}', lambda match: samples[match.group(1)], template))
        expect(page.get_by_role('heading', level=1).first).to_be_visible()
        page.wait_for_load_state('networkidle')
        opener = page.locator('main').get_by_role('button', name=opener_name).first
        opener.focus()
        page.keyboard.press('Enter')
        dialog = dialog_opened(page, dialog_name)
        problems += violations(page, f'{template} ({role}, {device}, dialog {dialog_name} open)')
        page.keyboard.press('Escape')
        expect(dialog).to_be_hidden()
        focus_is(opener)
        page.wait_for_load_state('networkidle')  # nothing of this page still loading when the next one opens
    assert not problems, '\n'.join(problems)


@desktop
def test_no_motion_for_who_asks_for_less(browsing: Browsing, people: Cast) -> None:
    """With the device's 'reduce motion' setting, Quasar's transitions (the focus tint, the dialogs) take no time."""
    durations = "() => getComputedStyle(document.querySelector('.q-focus-helper')).transitionDuration"
    for motion, moves in (('no-preference', True), ('reduce', False)):
        page = browsing.page(f'motion-{motion}', reduced_motion=motion)
        sign_in(page, *people.accounts['patient'])
        seconds = [float(part.strip().rstrip('s')) for part in page.evaluate(durations).split(',')]
        assert (max(seconds) > 0.01) is moves, (motion, seconds)
