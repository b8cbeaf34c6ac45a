"""The patient's own profile (view and edit; a new email needs the password again) and who looked at the record."""

from __future__ import annotations

from nicegui import ui

from hms import clock
from hms.domain.enums import Role
from hms.domain.errors import DomainError
from hms.domain.records import BLOOD_GROUPS, EmailChange, ProfilePatch
from hms.domain.validation import parse
from hms.i18n import N_, _
from hms.services import profile, records
from hms.services.principal import Principal
from hms.services.profile import ProfileView
from hms.services.records import AccessEntry

from ..components import forms
from ..components.booking_standing import standing_section
from ..components.sections import section
from ..components.tables import columns
from ..ui import dates, formats, theme
from ..ui.access import role_page
from ..ui.actions import attempt
from ..ui.frame import frame
from ..ui.services import call

PATH = '/patient/profile'
ACCESS_INTRO = N_(
    'Every time someone opened or changed your medical record, newest first: the doctors who treat you, the clinic '
    'administrator, and you.'
)
ACCESS_EMPTY = N_(
    'Nobody has opened your record yet. Entries appear here when a doctor or the clinic looks at your history.'
)
ACCESS_PATH = '/patient/access-log'
BLOOD_GROUP_OPTIONS = {'': N_('Not known'), **{group: group for group in BLOOD_GROUPS}}
REQUIRED = ('name', 'dob', 'gender', 'phone')
ACCESS_COLUMNS = columns(('at', N_('When')), ('who', N_('Who')), ('role', N_('Role')), ('action', N_('What')))


def create() -> None:
    @role_page(PATH, Role.PATIENT)
    async def profile_page(principal: Principal) -> None:
        mine = await call(profile.get_profile, principal)
        with frame(principal, _('My profile'), current_path=PATH):
            email = _email_card(mine)
            _profile_form(mine)
            _email_form(email)
            await standing_section(principal)  # the no-show policy and where the patient stands
            ui.link(_('See who looked at my record'), ACCESS_PATH)

    @role_page(ACCESS_PATH, Role.PATIENT)
    async def access_log_page(principal: Principal) -> None:
        entries = await call(records.access_log, principal)
        with frame(principal, _('Who looked at my record'), current_path=ACCESS_PATH):
            _access_table(entries)


# --- Parts of the page ------------------------------------------------------------------------------------------------


def _email_card(mine: ProfileView) -> ui.label:
    with section(_('Sign-in email')):
        email = ui.label(mine.email).mark('current-email')
        ui.label(_('You sign in with this address; change it below.')).classes(theme.SUBTLE)
    return email


def _profile_form(mine: ProfileView) -> None:
    today = clock.now().date()
    with section(_('Personal details'), marker='profile-form') as card:
        error = forms.banner()
        genders = theme.gender_options()
        blood_groups = {value: _(label) for value, label in BLOOD_GROUP_OPTIONS.items()}
        allergy_hint = _('Medicines, foods or materials; leave empty if none.')
        contact_hint = _('Name and phone of someone to call; optional.')
        fields: dict[str, ui.input | ui.select] = {
            'name': ui.input(_('Full name'), value=mine.name).props('outlined maxlength=120 autocomplete=name'),
            'dob': dates.date_input(_('Date of birth'), mine.dob, last=today, years_first=True).props(
                'outlined autocomplete=bday'
            ),
            'gender': ui.select(genders, label=_('Gender'), value=mine.gender.value).props('outlined'),
            'phone': ui.input(_('Phone'), value=mine.phone).props('outlined type=tel autocomplete=tel'),
            'address': ui.input(_('Address'), value=mine.address).props(
                'outlined maxlength=300 autocomplete=street-address'
            ),
            'blood_group': ui.select(blood_groups, label=_('Blood group'), value=mine.blood_group or '').props(
                'outlined'
            ),
            'allergies': ui.textarea(_('Allergies'), value=mine.allergies or '').props(
                'outlined autogrow maxlength=2000'
            ),
            'emergency_contact': ui.input(_('Emergency contact'), value=mine.emergency_contact or '').props(
                'outlined maxlength=300'
            ),
        }
        fields['allergies'].props['hint'] = allergy_hint
        fields['emergency_contact'].props['hint'] = contact_hint
        for element in fields.values():
            element.classes('w-full')

        async def save() -> None:
            data = forms.stripped(fields)
            if not _date_readable(fields['dob'], fields):
                return
            data['dob'] = dates.iso(data['dob'])
            saved = await forms.attempt(
                lambda actor: call(profile.update_profile, actor, parse(ProfilePatch, data)),
                path=PATH,
                banner=error,
                fields=fields,
                required=REQUIRED,
                required_message=_('This field is required.'),
            )
            if saved is not None:
                fields['blood_group'].value = saved.blood_group or ''
                ui.notify(_('Your details are saved.'), type='positive')

        ui.button(_('Save my details'), icon='save', on_click=save).props('no-caps').mark('save-profile')
        forms.enter_submits(card, save)


def _date_readable(field: ui.input | ui.select, fields: dict[str, ui.input | ui.select]) -> bool:
    """A typed date that is no date is said under its field, in the words of the field's format."""
    try:
        dates.parse(field.value)
    except ValueError as wrong:
        forms.clear_errors(fields)
        field.error = str(wrong)
        return False
    return True


def _email_form(current: ui.label) -> None:
    with section(_('Change email'), marker='email-form') as card:
        ui.label(_('For your safety, confirm the change with your current password.')).classes(theme.SUBTLE)
        error = forms.banner()
        fields: dict[str, ui.input | ui.select] = {
            'new_email': ui.input(_('New email')).props('outlined type=email autocomplete=email'),
            'password': forms.PasswordInput(_('Current password')).props('outlined autocomplete=current-password'),
        }
        for element in fields.values():
            element.classes('w-full')

        async def change() -> None:
            data = {'new_email': (fields['new_email'].value or '').strip(), 'password': fields['password'].value or ''}
            if forms.missing(fields, data, ('new_email', 'password'), _('This field is required.')):
                return

            def refused(failure: DomainError) -> None:
                fields['password'].value = ''  # asked again (first: a new value clears the field's message)
                forms.show_error(failure, error, fields)

            changed = await attempt(
                lambda actor: call(profile.change_email, actor, parse(EmailChange, data)), path=PATH, refused=refused
            )
            if changed is None:
                return
            fields['password'].value = ''
            fields['new_email'].value = ''
            current.text = changed.email
            ui.notify(_('Your sign-in email is now {email}.', email=changed.email), type='positive')

        ui.button(_('Change email'), icon='alternate_email', on_click=change).props('no-caps').mark('change-email')
        forms.enter_submits(card, change)


def _access_table(entries: list[AccessEntry]) -> None:
    ui.label(_(ACCESS_INTRO)).classes(theme.SUBTLE)
    if not entries:
        ui.label(_(ACCESS_EMPTY)).classes(theme.INFO_BANNER).mark('access-empty')
        return
    rows = [
        {
            'id': index,
            'at': formats.moment(entry.at),
            'who': entry.who,
            'role': theme.role_label(entry.role) if entry.role else '-',
            'action': entry.action,
        }
        for index, entry in enumerate(entries)
    ]
    translated = [{**spec, 'label': _(spec['label'])} for spec in ACCESS_COLUMNS]
    table = ui.table(columns=translated, rows=rows, row_key='id', pagination=25).classes('w-full')
    table.props('flat bordered').mark('access-log')
