"""The access rule matrix: who may do what to whose object, over every API route and every page.

This table is the single source: tests/test_access_matrix.py walks it against the running app (every cell) and checks
that every registered route and page has a row, and docs/access-matrix.md is generated from it
(`python -m tests.access_matrix > docs/access-matrix.md`; a test fails when the document is stale).

Actors: anonymous (no credentials), patient A and patient B, doctor X and doctor Y, the administrator, a
receptionist (the front desk: schedules and contact details, never clinical content), and a blacklisted patient
(signed in before the administrator blacklisted them). A is X's patient (A has appointments with
X); B is Y's patient and never saw X; A never saw Y.
"""

from __future__ import annotations

from dataclasses import dataclass

ANON, PATIENT_A, PATIENT_B, DOCTOR_X, DOCTOR_Y, ADMIN, RECEPTION, BLACKLISTED = (
    'anonymous',
    'patient A',
    'patient B',
    'doctor X',
    'doctor Y',
    'admin',
    'reception',
    'blacklisted',
)
ACTORS = (ANON, PATIENT_A, PATIENT_B, DOCTOR_X, DOCTOR_Y, ADMIN, RECEPTION, BLACKLISTED)

EVERYONE = frozenset(ACTORS)
SIGNED_IN = frozenset({PATIENT_A, PATIENT_B, DOCTOR_X, DOCTOR_Y, ADMIN, RECEPTION})
PATIENTS = frozenset({PATIENT_A, PATIENT_B})
DOCTORS = frozenset({DOCTOR_X, DOCTOR_Y})
STAFF_AND_PATIENTS = PATIENTS | DOCTORS
STAFF = DOCTORS | {ADMIN}  # clinical staff: the receptionist is not among them
EMPLOYEES = STAFF | {RECEPTION}  # everyone who works at the clinic (two-step verification)
FRONT_DESK = frozenset({RECEPTION, ADMIN})  # the admin can do everything reception can
ADMIN_ONLY = frozenset({ADMIN})
NOBODY: frozenset[str] = frozenset()

REFUSED = (401, 403, 404)  # a denied API cell answers one of these
REFUSED_OR_INVALID = (*REFUSED, 422)  # forged fields in a body: refused by role first, else by validation


@dataclass(frozen=True)
class Rule:
    """One row: a route (method and path as registered) applied to one kind of object, and who may do it.

    ``ok`` is what an allowed cell answers (for pages: 200 = the page is shown, 303 = a redirect is the page's job);
    ``refused`` is what a denied API cell may answer (pages: a redirect to /login or a refusal on the page)."""

    method: str
    path: str
    object: str
    allowed: frozenset[str]
    case: str = ''
    ok: tuple[int, ...] = (200,)
    refused: tuple[int, ...] = REFUSED
    note: str = ''
    problem: str = ''  # the stable code of the problem a signed-in caller who is refused gets (checked when set)

    @property
    def key(self) -> str:
        return f'{self.method} {self.path}' + (f' [{self.case}]' if self.case else '')


def api(method: str, path: str, obj: str, allowed: frozenset[str], **extra: object) -> Rule:
    return Rule(method, '/api' + path, obj, allowed, **extra)


def page(path: str, obj: str, allowed: frozenset[str], **extra: object) -> Rule:
    return Rule('GET', path, obj, allowed, **extra)


NO_WORKER = 'the test runs without Redis: an allowed caller gets 503 (no worker), a refused one 401/403 first'

API_RULES: tuple[Rule, ...] = (
    # --- public -------------------------------------------------------------------------------------------------------
    api('GET', '/openapi.json', 'the API description', EVERYONE),
    api('GET', '/docs', 'the API documentation page', EVERYONE),
    api('GET', '/docs/oauth2-redirect', 'Swagger UI helper page', EVERYONE),
    api('GET', '/health', 'liveness', EVERYONE),
    api('POST', '/register', 'a new patient account', EVERYONE, ok=(202,)),
    api('POST', '/password-reset', 'a reset link for an address (the same answer for any)', EVERYONE, ok=(202,)),
    api(
        'POST',
        '/password-reset/confirm',
        'a new password through an unknown reset link',
        NOBODY,
        refused=(400,),
        note='the token is the credential: an unknown, used or expired one is 400 link_not_valid for everyone',
    ),
    api(
        'POST',
        '/verify-email',
        'an address confirmed through an unknown verification link',
        NOBODY,
        refused=(400,),
        note='the token is the credential: an unknown, used or expired one is 400 link_not_valid for everyone',
    ),
    api('POST', '/login', 'own credentials', SIGNED_IN, note='anonymous: unknown email; blacklisted: refused'),
    # --- own account ----------------------------------------------------------------------------------------------
    api('GET', '/me', 'own account', SIGNED_IN),
    # --- directory --------------------------------------------------------------------------------------------------
    api('GET', '/departments', 'all departments', SIGNED_IN),
    api('GET', '/departments/{department_id}', 'a department', SIGNED_IN),
    api('GET', '/doctors', 'active doctors', SIGNED_IN),
    api('GET', '/doctors/{doctor_id}', 'doctor X', SIGNED_IN),
    api('GET', '/doctors/{doctor_id}/slots', "doctor X's free slots", SIGNED_IN),
    # --- appointments ---------------------------------------------------------------------------------------------
    api('POST', '/appointments', 'a free slot of doctor X, for oneself', PATIENTS, ok=(201,)),
    api(
        'POST',
        '/appointments',
        "a slot, with patient B's id in the body",
        NOBODY,
        case='forged patient_id',
        refused=REFUSED_OR_INVALID,
    ),
    api(
        'POST',
        '/appointments',
        'a slot, with a status in the body',
        NOBODY,
        case='forged status',
        refused=REFUSED_OR_INVALID,
    ),
    api(
        'GET',
        '/appointments',
        'own appointments',
        STAFF_AND_PATIENTS,
        note='admin lists at /api/admin/appointments, reception at /api/reception/*',
    ),
    api('GET', '/appointments/{appointment_id}', "A's appointment with X", frozenset({PATIENT_A, DOCTOR_X, ADMIN})),
    api(
        'GET',
        '/appointments/{appointment_id}/calendar.ics',
        "A's appointment with X (Add to calendar)",
        frozenset({PATIENT_A, DOCTOR_X}),
    ),
    api('PATCH', '/appointments/{appointment_id}', "A's booked appointment with X", frozenset({PATIENT_A, ADMIN})),
    api(
        'PATCH',
        '/appointments/{appointment_id}',
        "A's appointment, with a status in the body",
        NOBODY,
        case='forged status',
        refused=REFUSED_OR_INVALID,
    ),
    api(
        'POST',
        '/appointments/{appointment_id}/cancel',
        "A's booked appointment with X",
        frozenset({PATIENT_A, DOCTOR_X, ADMIN}),
    ),
    # --- the doctor's own -----------------------------------------------------------------------------------------
    api('GET', '/doctor/availability', 'own availability', DOCTORS),
    api('PUT', '/doctor/availability', 'own availability', DOCTORS),
    api('GET', '/doctor/appointments', 'own schedule', DOCTORS),
    api('GET', '/doctor/patients', 'own patients', DOCTORS),
    api('GET', '/doctor/patients/{patient_id}/history', 'patient A (saw X, never Y)', frozenset({DOCTOR_X})),
    api(
        'GET',
        '/doctor/patients/{patient_id}/history',
        'patient B (never saw X)',
        frozenset({DOCTOR_Y}),
        case='patient B',
    ),
    api('GET', '/doctor/schedule', 'own day', DOCTORS),
    api(
        'POST',
        '/doctor/appointments/{appointment_id}/complete',
        "A's started appointment with X",
        frozenset({DOCTOR_X}),
    ),
    api('PUT', '/doctor/appointments/{appointment_id}/treatment', "A's completed visit with X", frozenset({DOCTOR_X})),
    api(
        'GET',
        '/doctor/appointments/{appointment_id}/treatment/versions',
        "A's completed visit with X",
        frozenset({DOCTOR_X}),
    ),
    api('POST', '/doctor/appointments/{appointment_id}/cancel', "A's booked appointment with X", frozenset({DOCTOR_X})),
    api(
        'POST', '/doctor/appointments/{appointment_id}/no-show', "A's started appointment with X", frozenset({DOCTOR_X})
    ),
    # --- the patient's own ----------------------------------------------------------------------------------------
    api('GET', '/patient/history', 'own history', PATIENTS),
    api('GET', '/patient/profile', 'own profile', PATIENTS),
    api('PATCH', '/patient/profile', 'own profile', PATIENTS),
    api(
        'PATCH',
        '/patient/profile',
        "own profile, with patient B's id in the body",
        NOBODY,
        case='forged patient_id',
        refused=REFUSED_OR_INVALID,
    ),
    api('GET', '/patient/access-log', "own record's access log", PATIENTS),
    api('GET', '/patient/notices', 'own notices', PATIENTS),
    api('POST', '/patient/notices/read', 'own notices', PATIENTS),
    api('POST', '/patient/waitlist', 'own waiting list entry for doctor X', PATIENTS, ok=(201,)),
    api('GET', '/patient/waitlist', 'own waiting list entries', PATIENTS),
    api('DELETE', '/patient/waitlist/{entry_id}', "A's waiting list entry", frozenset({PATIENT_A}), ok=(204,)),
    api('GET', '/patient/offers', 'own offers of freed slots', PATIENTS),
    api('POST', '/patient/offers/{offer_id}/accept', 'a slot of X held for A', frozenset({PATIENT_A}), ok=(201,)),
    api('POST', '/patient/offers/{offer_id}/decline', 'a slot of X held for A', frozenset({PATIENT_A})),
    api('POST', '/doctor/leave', 'own leave', DOCTORS, ok=(201,)),
    api('GET', '/doctor/leave', 'own leave', DOCTORS),
    api('DELETE', '/doctor/leave/{leave_id}', "X's leave", frozenset({DOCTOR_X}), ok=(204,)),
    api('POST', '/admin/doctors/{doctor_id}/leave', "X's leave", ADMIN_ONLY, ok=(201,)),
    api('GET', '/admin/leave', "every doctor's leave", ADMIN_ONLY),
    api('DELETE', '/admin/leave/{leave_id}', "X's leave", ADMIN_ONLY, ok=(204,)),
    api('POST', '/admin/closures', 'a clinic closure', ADMIN_ONLY, ok=(201,)),
    api('GET', '/admin/closures', 'clinic closures', ADMIN_ONLY),
    api('DELETE', '/admin/closures/{closure_id}', 'a clinic closure', ADMIN_ONLY, ok=(204,)),
    api('GET', '/admin/stranded', 'appointments a leave or closure stranded', ADMIN_ONLY),
    # --- exports --------------------------------------------------------------------------------------------------
    api(
        'POST',
        '/exports',
        "an export of the caller's role (reception has none: no records leave the desk)",
        SIGNED_IN - {RECEPTION},
        ok=(503,),
        note=NO_WORKER,
    ),
    api(
        'POST',
        '/exports',
        "another role's export (patients' contact details)",
        ADMIN_ONLY,
        case='other kind',
        ok=(503,),
        note=NO_WORKER,
    ),
    api('GET', '/exports', 'own exports', SIGNED_IN),
    api('GET', '/exports/{export_id}', "A's export", frozenset({PATIENT_A}), note='the admin included: 404'),
    api('GET', '/exports/{export_id}/download', "A's export", frozenset({PATIENT_A})),
    # --- visit documents ------------------------------------------------------------------------------------------
    api(
        'GET',
        '/visits/{appointment_id}/summary.pdf',
        "A's completed visit with X: the visit summary",
        frozenset({PATIENT_A, DOCTOR_X, ADMIN}),
        note='reception: 403, never clinical content',
    ),
    api(
        'GET',
        '/visits/{appointment_id}/prescription.pdf',
        "A's completed visit with X: the prescription",
        frozenset({PATIENT_A, DOCTOR_X, ADMIN}),
        note='reception: 403, never clinical content',
    ),
    api('GET', '/verify/{code}', "the code on a document of A's visit (genuine? current? nothing medical)", EVERYONE),
    # --- administration -------------------------------------------------------------------------------------------
    api('GET', '/admin/departments', 'all departments', ADMIN_ONLY),
    api('POST', '/admin/departments', 'a new department', ADMIN_ONLY, ok=(201,)),
    api('GET', '/admin/departments/{department_id}', 'a department', ADMIN_ONLY),
    api('PATCH', '/admin/departments/{department_id}', 'a department', ADMIN_ONLY),
    api('DELETE', '/admin/departments/{department_id}', 'an empty department', ADMIN_ONLY, ok=(204,)),
    api('GET', '/admin/doctors', 'all doctors', ADMIN_ONLY),
    api('POST', '/admin/doctors', 'a new doctor', ADMIN_ONLY, ok=(201,)),
    api('GET', '/admin/doctors/{doctor_id}', 'doctor X', ADMIN_ONLY),
    api('PATCH', '/admin/doctors/{doctor_id}', 'a doctor', ADMIN_ONLY),
    api('GET', '/admin/doctors/{doctor_id}/deactivation-impact', 'doctor X', ADMIN_ONLY),
    api('DELETE', '/admin/doctors/{doctor_id}', 'a doctor', ADMIN_ONLY),
    api('GET', '/admin/doctors/{doctor_id}/availability', "doctor X's availability", ADMIN_ONLY),
    api('PUT', '/admin/doctors/{doctor_id}/availability', "doctor X's availability", ADMIN_ONLY),
    api('GET', '/admin/doctors/{doctor_id}/schedule', "doctor X's schedule", ADMIN_ONLY),
    api('GET', '/admin/patients', 'all patients', ADMIN_ONLY),
    api('GET', '/admin/patients/{patient_id}', 'patient A', ADMIN_ONLY),
    api('PATCH', '/admin/patients/{patient_id}', "a patient's contact details", ADMIN_ONLY),
    api('POST', '/admin/users/{user_id}/blacklist', 'a patient account', ADMIN_ONLY),
    api('POST', '/admin/users/{user_id}/reactivate', 'a blacklisted account', ADMIN_ONLY),
    api('GET', '/admin/patients/{patient_id}/history', "patient A's history", ADMIN_ONLY),
    api('GET', '/admin/appointments', 'every appointment', ADMIN_ONLY),
    api('GET', '/admin/appointments/{appointment_id}/treatment/versions', "A's completed visit with X", ADMIN_ONLY),
    api('GET', '/admin/stats', 'clinic statistics', ADMIN_ONLY),
    api('GET', '/admin/boards', 'waiting-room boards (never their secrets)', ADMIN_ONLY),
    api('POST', '/admin/boards', 'a new waiting-room board (its address shown once)', ADMIN_ONLY, ok=(201,)),
    api('DELETE', '/admin/boards/{board_id}', 'a waiting-room board: revoke', ADMIN_ONLY),
    api('GET', '/admin/audit', 'the audit log', ADMIN_ONLY),
    api('GET', '/admin/jobs', 'background jobs', ADMIN_ONLY),
    api('POST', '/admin/jobs/{name}/run', 'the daily reminders job', ADMIN_ONLY, ok=(503,), note=NO_WORKER),
    api('GET', '/admin/jobs/runs/{run_id}', 'a job run', ADMIN_ONLY),
    api('GET', '/admin/deliveries', 'the delivery log', ADMIN_ONLY),
    api('POST', '/admin/deliveries/{delivery_id}/retry', 'a failed delivery', ADMIN_ONLY, ok=(503,), note=NO_WORKER),
    # --- receptionist accounts and the front desk's patients -----------------------------------------------------
    api('GET', '/admin/receptionists', 'all receptionists', ADMIN_ONLY),
    api('POST', '/admin/receptionists', 'a new receptionist', ADMIN_ONLY, ok=(201,)),
    api('PATCH', '/admin/receptionists/{receptionist_id}', 'a receptionist', ADMIN_ONLY),
    api('DELETE', '/admin/receptionists/{receptionist_id}', 'a receptionist: deactivate', ADMIN_ONLY),
    api('GET', '/reception/patients', "patients' contact details (search)", FRONT_DESK),
    api('POST', '/reception/patients', 'a new patient registered at the desk', FRONT_DESK, ok=(201,)),
    api(
        'GET',
        '/reception/patients/{patient_id}',
        "patient A's contact details and appointments (no clinical content)",
        FRONT_DESK,
    ),
    # --- the clinic day: the desk acts for patients, checks them in; doctors call their own in ----------------------
    api('POST', '/reception/appointments', 'a slot of doctor X, for patient A (with a reason)', FRONT_DESK, ok=(201,)),
    api('PATCH', '/reception/appointments/{appointment_id}', "A's booked appointment with X: move", FRONT_DESK),
    api('POST', '/reception/appointments/{appointment_id}/cancel', "A's booked appointment with X", FRONT_DESK),
    api('POST', '/reception/walk-ins', 'a walk-in of patient B with doctor Y', FRONT_DESK, ok=(201,)),
    api('GET', '/reception/today', "today's appointments of every doctor, with waits", FRONT_DESK),
    api(
        'POST', '/reception/appointments/{appointment_id}/check-in', "a patient's booked appointment today", FRONT_DESK
    ),
    api('GET', '/reception/doctors/{doctor_id}/slots', "doctor X's free and taken times", FRONT_DESK),
    # --- one-tap links, the worklists, recalls (issue 20) ----------------------------------------------------------
    api(
        'GET',
        '/links/{token}',
        "a one-tap link of A's booked appointment with X: read (changes nothing; nothing clinical)",
        EVERYONE,
        note='the signed token is the credential',
    ),
    api(
        'POST',
        '/links/{token}',
        'a one-tap link that was tampered with',
        NOBODY,
        refused=(400,),
        note='the signed token is the credential: a forged one is refused alike for everyone',
    ),
    api('GET', '/reception/unclosed', 'past appointments nobody closed (a doctor: own)', FRONT_DESK | DOCTORS),
    api(
        'POST',
        '/reception/unclosed/{appointment_id}/close',
        "A's past appointment with X, still booked: close as a no-show",
        FRONT_DESK | {DOCTOR_X},
    ),
    api('GET', '/reception/recalls', 'follow-ups due, for phoning (nothing clinical)', FRONT_DESK),
    api(
        'POST',
        '/doctor/call-next',
        "the caller's own next checked-in patient",
        DOCTORS,
        note='each doctor calls only from their own queue',
    ),
    api('POST', '/doctor/appointments/{appointment_id}/call', "a checked-in patient of X's", frozenset({DOCTOR_X})),
    # --- second factor (staff only); these rows run in this order ---------------------------------------------------
    api('GET', '/auth/totp', 'own second-factor status', SIGNED_IN),
    api('POST', '/auth/totp/setup', 'own second factor: start enrolment', EMPLOYEES),
    api('POST', '/auth/totp/confirm', 'own second factor: turn on with a code', EMPLOYEES),
    api(
        'POST',
        '/auth/totp/recovery-codes',
        'own recovery codes: replace',
        EMPLOYEES,
        refused=(*REFUSED, 409),
        note='patients: 409, they have no second factor',
    ),
    api(
        'POST',
        '/auth/totp/disable',
        'own second factor: turn off',
        EMPLOYEES,
        refused=(*REFUSED, 409),
        note='patients: 409, they have no second factor',
    ),
    # --- last: these end or change the caller's credentials -------------------------------------------------------
    api('POST', '/logout', 'own token (a fresh one)', SIGNED_IN),
    api('POST', '/patient/profile/email', 'own email', PATIENTS),
    # From here the caller's account must change its one-time password (as a new staff account must): the API
    # refuses everything but reading the account, signing out and changing the password.
    api(
        'GET',
        '/appointments',
        'own appointments, the one-time password unchanged',
        NOBODY,
        case='one-time password',
        problem='password_change_required',
        note='signed in: 403 password_change_required',
    ),
    api('GET', '/me', 'own account, the one-time password unchanged', SIGNED_IN, case='one-time password'),
    api('POST', '/me/password', 'own password (the one-time password is changed here)', SIGNED_IN),
)

PAGE_RULES: tuple[Rule, ...] = (
    page('/', 'the entry point: home by role, else sign-in', EVERYONE, ok=(303,)),
    page('/login', 'the sign-in form (signed-in users go home)', EVERYONE, ok=(200, 303)),
    page('/register', 'the registration form (signed-in users go home)', EVERYONE, ok=(200, 303)),
    page('/forgot', 'the reset-link request form (signed-in users go home)', EVERYONE, ok=(200, 303)),
    page(
        '/reset/{token}',
        'a reset link (an unknown one: told it is not valid)',
        EVERYONE,
        note='the token is the credential',
    ),
    page('/verify/{value}', 'an address-confirmation link (used by its button, not by the visit)', EVERYONE),
    page(
        '/verify/{value}',
        "the code on a document of A's visit: genuine and current, without medical content",
        EVERYONE,
        case='document code',
        note="a code's shape is never an email link's token",
    ),
    page(
        '/visits/{appointment_id}/summary',
        "A's completed visit with X: the visit summary to print",
        frozenset({PATIENT_A, DOCTOR_X, ADMIN}),
    ),
    page(
        '/visits/{appointment_id}/prescription',
        "A's completed visit with X: the prescription to print",
        frozenset({PATIENT_A, DOCTOR_X, ADMIN}),
    ),
    page('/manifest.webmanifest', 'the web app manifest (no personal data)', EVERYONE),
    page('/profile', 'own account', SIGNED_IN),
    page('/change-password', 'own password', SIGNED_IN),
    page('/account/security', 'own sign-in security (patients are told it is for staff)', SIGNED_IN),
    page('/exports', 'own exports (reception has none)', SIGNED_IN - {RECEPTION}),
    page('/exports/{export_id}/download', "A's export (file download)", frozenset({PATIENT_A})),
    page('/patient', 'own home', PATIENTS),
    page('/patient/doctors', 'doctor search', PATIENTS),
    page('/patient/doctors/{doctor_id}', "doctor X's slots", PATIENTS),
    page('/patient/appointments', 'own appointments', PATIENTS),
    page('/patient/waitlist', 'own waiting lists and offers', PATIENTS),
    page('/patient/visits', 'own visits', PATIENTS),
    page('/patient/profile', 'own profile', PATIENTS),
    page('/patient/access-log', "own record's access log", PATIENTS),
    page('/doctor', 'own day', DOCTORS),
    page('/doctor/availability', 'own availability', DOCTORS),
    page('/doctor/patients', 'own patients', DOCTORS),
    page('/doctor/patients/{patient_id}', 'patient A (saw X, never Y)', frozenset({DOCTOR_X})),
    page('/doctor/patients/{patient_id}', 'patient B (never saw X)', frozenset({DOCTOR_Y}), case='patient B'),
    page('/doctor/appointments/{appointment_id}', "A's appointment with X", frozenset({DOCTOR_X})),
    page('/doctor/week', 'own week', DOCTORS),
    page(
        '/calendar/{secret}.ics',
        "doctor X's calendar feed, by its secret (calendar apps send no credentials)",
        EVERYONE,
        note='the secret is the credential',
    ),
    page('/calendar/{secret}.ics', "doctor X's revoked calendar feed", NOBODY, case='revoked', note='404'),
    page(
        '/board/{secret}',
        'the waiting-room board, by its secret (a screen in the waiting room: no one signs in; tickets, no names)',
        EVERYONE,
        note='the secret is the credential',
    ),
    page('/board/{secret}', 'a revoked waiting-room board', NOBODY, case='revoked', note='404'),
    page('/board/{secret}', 'a waiting-room board that does not exist', NOBODY, case='unknown', note='404'),
    page('/admin', 'clinic dashboard', ADMIN_ONLY),
    page('/admin/departments', 'departments', ADMIN_ONLY),
    page('/admin/doctors', 'doctors', ADMIN_ONLY),
    page('/admin/doctors/{doctor_id}', 'doctor X', ADMIN_ONLY),
    page('/admin/patients', 'patients', ADMIN_ONLY),
    page('/admin/patients/{patient_id}', 'patient A', ADMIN_ONLY),
    page('/admin/receptionists', 'receptionists', ADMIN_ONLY),
    page('/reception', "the desk's today: every doctor's list, check in", FRONT_DESK),
    page('/reception/book', 'booking for a patient (no patient chosen: says to choose one)', FRONT_DESK),
    page('/reception/patients', "the desk's patient search and registration", FRONT_DESK),
    page('/reception/patients/{patient_id}', "patient A's contact details and appointments", FRONT_DESK),
    page('/reception/recalls', 'follow-ups due, for phoning', FRONT_DESK),
    page('/unclosed', 'past appointments nobody closed (a doctor: own)', FRONT_DESK | DOCTORS),
    page(
        '/a/{token}',
        'a one-tap link (an unknown one: says it does not work, offers sign-in)',
        EVERYONE,
        note='the token is the credential',
    ),
    page('/admin/appointments', 'every appointment', ADMIN_ONLY),
    page('/admin/jobs', 'background jobs', ADMIN_ONLY),
    page('/admin/outbox', 'the local mail sink', ADMIN_ONLY),
    page('/admin/audit', 'the audit log', ADMIN_ONLY),
    page('/admin/boards', 'waiting-room boards', ADMIN_ONLY),
    page('/admin/leave', 'leave, closures and stranded appointments', ADMIN_ONLY),
    page('/session/begin', 'a sign-in hand-over code (none here: back to /login)', EVERYONE, ok=(303,)),
    page('/session/end', 'the cookie of an ended session (a live one is left alone)', EVERYONE, ok=(303,)),
    page('/logout', 'own session: asks to confirm (a link or image ends nothing)', SIGNED_IN),
)

ALL_RULES = API_RULES + PAGE_RULES


def cells(rules: tuple[Rule, ...] = ALL_RULES) -> int:
    return len(rules) * len(ACTORS)


def _table(rules: tuple[Rule, ...]) -> list[str]:
    header = '| route | object | ' + ' | '.join(ACTORS) + ' |'
    lines = [header, '|' + '---|' * (2 + len(ACTORS))]
    for rule in rules:
        marks = ' | '.join('✅' if actor in rule.allowed else '—' for actor in ACTORS)
        note = f' ({rule.note})' if rule.note else ''
        lines.append(f'| `{rule.method} {rule.path}` | {rule.object}{note} | {marks} |')
    return lines


def render() -> str:
    """The Markdown document, exactly as committed in docs/access-matrix.md."""
    lines = [
        '# Access rule matrix',
        '',
        'Generated from `tests/access_matrix.py` by `python -m tests.access_matrix > docs/access-matrix.md`;',
        '`tests/test_access_matrix.py` walks every cell against the running app and fails when a route or page has',
        'no row, or when this document is stale.',
        '',
        f'{len(API_RULES)} API rows and {len(PAGE_RULES)} page rows × {len(ACTORS)} actors = **{cells()} cells**.',
        '',
        '- Actors: *anonymous* (no credentials); *patient A*, *patient B*; *doctor X*, *doctor Y*; *admin*;',
        '  *reception* (a receptionist: schedules, appointments and contact details, never clinical content);',
        '  *blacklisted* (a patient signed in before the administrator blacklisted them: their sessions end at once).',
        '- A has appointments with X; B with Y. B never saw X, A never saw Y.',
        '- ✅ allowed: the API answers its success status (2xx; 503 where the note says the test has no worker),',
        '  a page is shown.',
        '- — refused: the API answers 401 (not signed in, or the session ended), 403 (wrong role, deactivated, a',
        "  one-time password still to change) or 404 (another person's object does not exist for the caller); forged",
        "  fields in a body (a status, another patient's id) are refused with 422: unknown fields are never accepted.",
        '  A refused page redirects to /login',
        "  (not signed in) or shows a refusal (another role's page, or an object that is not the caller's).",
        '- Every check is made in the service layer, so the pages and the API apply the same rules.',
        '',
        '## API (`/api`)',
        '',
        *_table(API_RULES),
        '',
        '## Pages',
        '',
        *_table(PAGE_RULES),
        '',
    ]
    return '\n'.join(lines)


if __name__ == '__main__':
    print(render(), end='')
