"""English and German on the common frame and the patient's pages (home, booking, appointments); each user picks
their language (users.language), remembered across browsers like the colour theme.

The English text is the key (missing translations fall back to it); ``{name}`` placeholders are filled by ``t``.
Staff pages are in English.
"""

from __future__ import annotations

from nicegui import app

LANGUAGE_KEY = 'display_language'  # this browser's copy of the signed-in user's choice; the account is the truth

GERMAN: dict[str, str] = {
    # the frame
    'Open navigation': 'Navigation öffnen',
    'Main navigation': 'Hauptnavigation',
    'Sign out': 'Abmelden',
    'Colour theme: {name}': 'Farbschema: {name}',
    'Colour theme: {name}. Change': 'Farbschema: {name}. Ändern',
    'Colour theme: {name}. We will remember it when you sign in again.': (
        'Farbschema: {name}. Wir merken es uns für Ihre nächste Anmeldung.'
    ),
    'Match my device': 'Wie mein Gerät',
    'Light': 'Hell',
    'Dark': 'Dunkel',
    'Language: {name}. Change': 'Sprache: {name}. Ändern',
    'Language': 'Sprache',
    'Not allowed': 'Kein Zugriff',
    'You do not have access to this page.': 'Sie haben keinen Zugriff auf diese Seite.',
    'This page belongs to another role. Use the navigation to get back to your own pages.': (
        'Diese Seite gehört zu einer anderen Rolle. Über die Navigation kommen Sie zu Ihren eigenen Seiten zurück.'
    ),
    'Go to my home page': 'Zu meiner Startseite',
    # navigation (patients; staff entries stay English)
    'Home': 'Start',
    'Find a doctor': 'Arzt finden',
    'My appointments': 'Meine Termine',
    'My visits': 'Meine Besuche',
    'Profile': 'Profil',
    'Who looked at my record': 'Wer meine Akte angesehen hat',
    'Exports': 'Exporte',
    'My account': 'Mein Konto',
    # the patient's home
    'My health': 'Meine Gesundheit',
    'Welcome, {name}': 'Willkommen, {name}',
    'Book a visit, and see your upcoming appointments and messages from the clinic.': (
        'Buchen Sie einen Termin und sehen Sie Ihre nächsten Termine und Nachrichten der Praxis.'
    ),
    'Book an appointment': 'Termin buchen',
    'Or go straight to a doctor and pick a time:': 'Oder direkt zu einer Ärztin oder einem Arzt und eine Zeit wählen:',
    'Doctor': 'Ärztin/Arzt',
    'No doctors are taking bookings yet. Please call the clinic.': (
        'Noch nimmt niemand Buchungen an. Bitte rufen Sie die Praxis an.'
    ),
    'New messages from the clinic': 'Neue Nachrichten der Praxis',
    'Open my appointments': 'Meine Termine öffnen',
    'Upcoming appointments': 'Nächste Termine',
    'Nothing booked yet. Use "Book an appointment" to find a doctor and a free time.': (
        'Noch nichts gebucht. Mit „Termin buchen“ finden Sie eine Ärztin oder einen Arzt und eine freie Zeit.'
    ),
    'Reschedule or cancel in My appointments': 'Verschieben oder absagen unter „Meine Termine“',
    # finding a doctor and booking
    'No such doctor': 'Unbekannter Arzt',
    'No such doctor: this doctor does not exist or is not taking bookings.': (
        'Unbekannter Arzt: Diese Person gibt es nicht oder sie nimmt keine Buchungen an.'
    ),
    'Specializations': 'Fachrichtungen',
    'All specializations': 'Alle Fachrichtungen',
    'Name or specialization': 'Name oder Fachrichtung',
    'Has a free slot on': 'Hat einen freien Termin am',
    'Any day of the next {days} days': 'Jeder Tag der nächsten {days} Tage',
    'Search': 'Suchen',
    'Searching': 'Suche läuft',
    'Enter a date like 2026-03-03.': 'Geben Sie ein Datum wie 2026-03-03 ein.',
    'No doctors match your search. Try another name or specialization, another date, or "All specializations".': (
        'Niemand passt zu Ihrer Suche. Versuchen Sie einen anderen Namen, eine andere Fachrichtung, ein anderes '
        'Datum oder „Alle Fachrichtungen“.'
    ),
    '{count} doctors': '{count} Ärztinnen und Ärzte',
    '1 doctor': '1 Ärztin/Arzt',
    '{years} years of experience': '{years} Jahre Erfahrung',
    'See free times': 'Freie Zeiten ansehen',
    'See free times of {name}': 'Freie Zeiten von {name} ansehen',
    'Qualifications': 'Qualifikationen',
    'Experience': 'Erfahrung',
    '{years} years': '{years} Jahre',
    'Consultation': 'Sprechstunde',
    '{minutes} minutes': '{minutes} Minuten',
    'Free times in the next {days} days': 'Freie Zeiten in den nächsten {days} Tagen',
    'Choose a time to book it; you can add a reason before confirming.': (
        'Wählen Sie eine Zeit; vor dem Bestätigen können Sie einen Grund angeben.'
    ),
    'No free slots in the next {days} days — try another doctor.': (
        'Keine freien Zeiten in den nächsten {days} Tagen – versuchen Sie es bei jemand anderem.'
    ),
    'Find another doctor': 'Andere Ärztin oder anderen Arzt finden',
    'Confirm your appointment': 'Termin bestätigen',
    'Reason for the visit (optional)': 'Grund des Besuchs (freiwillig)',
    'Back': 'Zurück',
    'Book this time': 'Diese Zeit buchen',
    'Booked: {when} with {doctor}.': 'Gebucht: {when} bei {doctor}.',
    # the patient's appointments
    'Booked': 'Gebucht',
    'Completed': 'Abgeschlossen',
    'Cancelled': 'Abgesagt',
    'Missed': 'Versäumt',
    'Upcoming': 'Demnächst',
    'No upcoming appointments. Use "Book an appointment" to find a doctor and a time.': (
        'Keine anstehenden Termine. Mit „Termin buchen“ finden Sie eine Ärztin oder einen Arzt und eine Zeit.'
    ),
    'Appointments can be changed or cancelled online until {hours} hours before they start. Please call the clinic '
    'to change this one.': 'Termine lassen sich bis {hours} Stunden vor Beginn online ändern oder absagen. Bitte '
    'rufen Sie für diesen Termin die Praxis an.',
    'Appointments can be changed or cancelled online until 1 hour before they start. Please call the clinic to '
    'change this one.': 'Termine lassen sich bis 1 Stunde vor Beginn online ändern oder absagen. Bitte rufen Sie '
    'für diesen Termin die Praxis an.',
    'Reschedule': 'Verschieben',
    'Reschedule the appointment of {when}': 'Den Termin am {when} verschieben',
    'Cancel': 'Absagen',
    'Cancel the appointment of {when}': 'Den Termin am {when} absagen',
    'Past appointments': 'Vergangene Termine',
    'No past appointments yet.': 'Noch keine vergangenen Termine.',
    'Showing the latest {shown} of {total}.': 'Die letzten {shown} von {total}.',
    'Reason: {reason}': 'Grund: {reason}',
    'Cancelled: {reason}': 'Abgesagt: {reason}',
    'Earlier messages ({count})': 'Frühere Nachrichten ({count})',
    'Choose a new time': 'Neue Zeit wählen',
    'Now: {when} with {doctor}': 'Jetzt: {when} bei {doctor}',
    'No new time chosen yet.': 'Noch keine neue Zeit gewählt.',
    'No other free times in the next days. Keep this appointment, or cancel it and book another doctor.': (
        'Keine anderen freien Zeiten in den nächsten Tagen. Behalten Sie den Termin oder sagen Sie ab und buchen '
        'Sie bei jemand anderem.'
    ),
    'New time: {when}': 'Neue Zeit: {when}',
    'Moved to {when}.': 'Verschoben auf {when}.',
    'Keep the current time': 'Aktuelle Zeit behalten',
    'Move appointment': 'Termin verschieben',
    'Loading free times': 'Freie Zeiten werden geladen',
    'Cancel this appointment?': 'Diesen Termin absagen?',
    '{when} with {doctor}': '{when} bei {doctor}',
    'The time is given back for other patients and the doctor sees the cancellation. This cannot be undone; you can '
    'book a new time afterwards.': 'Die Zeit wird für andere Patientinnen und Patienten frei und die Praxis sieht die '
    'Absage. Das lässt sich nicht rückgängig machen; Sie können danach eine neue Zeit buchen.',
    'Reason (optional)': 'Grund (freiwillig)',
    'Appointment cancelled.': 'Termin abgesagt.',
    'Keep the appointment': 'Termin behalten',
    'Yes, cancel it': 'Ja, absagen',
    # the patient's visits (the shared history helpers)
    'What your doctors found, prescribed and advised at each visit. To change or cancel an upcoming appointment, '
    'use My appointments.': 'Was Ihre Ärztinnen und Ärzte bei jedem Besuch festgestellt, verschrieben und geraten '
    'haben. Termine ändern oder absagen Sie unter „Meine Termine“.',
    'No upcoming appointments.': 'Keine anstehenden Termine.',
    'No upcoming appointments. Use "Find a doctor" in the menu to book one.': (
        'Keine anstehenden Termine. Über „Arzt finden“ im Menü buchen Sie einen.'
    ),
    'Past visits': 'Frühere Besuche',
    'Visits': 'Besuche',
    'No completed visits yet. After a visit, the record your doctor writes appears here.': (
        'Noch keine abgeschlossenen Besuche. Nach einem Besuch erscheint hier, was Ihre Ärztin oder Ihr Arzt festhält.'
    ),
    'No-show': 'Nicht erschienen',
    'No medicines prescribed.': 'Keine Medikamente verschrieben.',
    'Medicine': 'Medikament',
    'Dose': 'Dosis',
    'Frequency': 'Häufigkeit',
    'Duration': 'Dauer',
    'Instructions': 'Hinweise',
    'Diagnosis': 'Diagnose',
    'Treatment given': 'Behandlung',
    'Prescription': 'Verschreibung',
    'None': 'Keine',
    'Tests advised': 'Empfohlene Untersuchungen',
    'Notes for the patient': 'Hinweise für Sie',
    'Suggested next visit': 'Vorgeschlagener nächster Besuch',
    'Reason for the visit: {reason}': 'Grund des Besuchs: {reason}',
    'No treatment record was written for this visit.': 'Zu diesem Besuch wurde kein Behandlungsbericht geschrieben.',
    'Amended: version {version}': 'Geändert: Fassung {version}',
    # the patient's profile and access log
    'My profile': 'Mein Profil',
    'See who looked at my record': 'Sehen, wer meine Akte angesehen hat',
    'Sign-in email': 'E-Mail für die Anmeldung',
    'You sign in with this address; change it below.': (
        'Mit dieser Adresse melden Sie sich an; ändern können Sie sie unten.'
    ),
    'Personal details': 'Persönliche Angaben',
    'Full name': 'Vollständiger Name',
    'Date of birth': 'Geburtsdatum',
    'Gender': 'Geschlecht',
    'Female': 'Weiblich',
    'Male': 'Männlich',
    'Other': 'Divers',
    'Prefer not to say': 'Keine Angabe',
    'Phone': 'Telefon',
    'Address': 'Adresse',
    'Blood group': 'Blutgruppe',
    'Not known': 'Unbekannt',
    'Allergies': 'Allergien',
    'Medicines, foods or materials; leave empty if none.': (
        'Medikamente, Lebensmittel oder Materialien; leer lassen, wenn keine.'
    ),
    'Emergency contact': 'Notfallkontakt',
    'Name and phone of someone to call; optional.': 'Name und Telefonnummer einer Kontaktperson; freiwillig.',
    'This field is required.': 'Dieses Feld ist erforderlich.',
    'Your details are saved.': 'Ihre Angaben sind gespeichert.',
    'Save my details': 'Meine Angaben speichern',
    'Change email': 'E-Mail ändern',
    'For your safety, confirm the change with your current password.': (
        'Bestätigen Sie die Änderung zu Ihrer Sicherheit mit Ihrem aktuellen Passwort.'
    ),
    'New email': 'Neue E-Mail',
    'Current password': 'Aktuelles Passwort',
    'Your sign-in email is now {email}.': 'Sie melden sich jetzt mit {email} an.',
    'Every time someone opened or changed your medical record, newest first: the doctors who treat you, the clinic '
    'administrator, and you.': 'Jedes Öffnen oder Ändern Ihrer Akte, das neueste zuerst: durch Ihre behandelnden '
    'Ärztinnen und Ärzte, die Praxisverwaltung und Sie selbst.',
    'Nobody has opened your record yet. Entries appear here when a doctor or the clinic looks at your history.': (
        'Noch hat niemand Ihre Akte geöffnet. Einträge erscheinen hier, sobald die Praxis sie ansieht.'
    ),
    'When': 'Wann',
    'Who': 'Wer',
    'Role': 'Rolle',
    'What': 'Was',
    'Clinic administrator': 'Praxisverwaltung',
    'Patient': 'Patient/in',
}
CATALOGUES = {'de': GERMAN}


def language() -> str:
    """This browser's language for the signed-in user ('en' outside a page, e.g. in background work)."""
    try:
        return str(app.storage.user.get(LANGUAGE_KEY, 'en'))
    except RuntimeError:
        return 'en'


def t(text: str, **values: object) -> str:
    """``text`` in the user's language, with ``{placeholders}`` filled in."""
    template = CATALOGUES.get(language(), {}).get(text, text)
    return template.format(**values) if values else template
