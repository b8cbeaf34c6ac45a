"""Design tokens: colours and shared classes, in one place, for light and dark mode."""

from __future__ import annotations

from pathlib import Path

from nicegui import app, ui

from hms.i18n import N_, _

from . import i18n

PRIMARY = '#0f766e'  # teal 700: calm, clinical, AA contrast on white (and white text on it)
PRIMARY_ON_DARK = '#5eead4'  # teal 300: links and active items on dark surfaces (teal 700 is too dim there)
SECONDARY = '#334155'
ACCENT = '#0284c7'
POSITIVE = '#15803d'
NEGATIVE = '#b91c1c'
WARNING = '#b45309'
# The same colours as text on dark surfaces (the 700 shades above read at under 3:1 there): the 300 shades.
NEGATIVE_ON_DARK = '#fca5a5'
POSITIVE_ON_DARK = '#86efac'
WARNING_ON_DARK = '#fcd34d'

# The surfaces text sits on (Quasar's own dark page and card colours), for the contrast checks in the tests.
LIGHT_SURFACES = ('#ffffff', '#f8fafc')
DARK_SURFACES = ('#121212', '#1d1d1d')
CHART_INK = '#475569'  # slate 600: axis and legend text on light surfaces
CHART_INK_ON_DARK = '#cbd5e1'  # slate 300: the same on dark surfaces
SUBTLE_INK = ('#4b5563', '#d1d5db')  # gray 600 / gray 300: what SUBTLE resolves to in light / dark mode

PAGE_WIDTH = 'w-full max-w-5xl mx-auto'
CARD = 'w-full p-4 gap-3'
FORM_CARD = 'w-full max-w-md mx-auto p-6 gap-4'
HEADING = 'text-2xl font-semibold'
SUBTLE = 'text-sm text-gray-600 dark:text-gray-300'
ERROR_BANNER = 'w-full rounded bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-100 p-3 text-sm'
INFO_BANNER = 'w-full rounded bg-sky-50 text-sky-900 dark:bg-sky-950 dark:text-sky-100 p-3 text-sm'
SUCCESS_BANNER = 'w-full rounded bg-green-50 text-green-900 dark:bg-green-950 dark:text-green-100 p-3 text-sm'
ERROR_TEXT = 'text-red-800 dark:text-red-300'
MUTED_BOX = 'bg-gray-100 text-gray-900 dark:bg-gray-800 dark:text-gray-100'

# Accessibility rules (WCAG 2.2 AA) Quasar and NiceGUI leave to the app:
# - a focus indicator of 3:1 against what surrounds it in both themes (Quasar draws only a faint tint, 1.2-1.45:1,
#   and removes the outline with its own !important rules inside a cascade layer, which beat unlayered ones: so these
#   rules go into the first layer too): a 3 px outline 2 px away from the control, dark on light pages, light yellow
#   on dark pages, white on the teal header; a field shows it around its whole box, not the bare text inside;
# - focus never hidden under the sticky header (scroll-padding), and no animation for who asked for less motion;
# - the navigation's links, the current one marked by a bar and bold text (not by colour alone);
# - the live region of ``announce`` takes no room while empty; charts' table alternatives.
FOCUS_ON_LIGHT = '#0f172a'  # slate 900: 17:1 on white
FOCUS_ON_DARK = '#fde047'  # yellow 300: 14:1 on Quasar's dark page
FOCUS_ON_PRIMARY = '#ffffff'  # on the teal header: 5.5:1
NAV_LIST = 'hms-nav'
NAV_LINK = 'hms-nav-link'
LIVE_REGION = 'hms-live'
CHART_TABLE = 'hms-chart-table'
HEADER_ROOM = '5rem'  # more than the header's height (one row: 72 px at most, checked by the browser tests)
A11Y_CSS = f"""
body {{ --hms-focus: {FOCUS_ON_LIGHT}; }}
body.body--dark {{ --hms-focus: {FOCUS_ON_DARK}; }}
.q-header, .bg-primary {{ --hms-focus: {FOCUS_ON_PRIMARY}; }}
@layer theme {{
  :focus-visible {{ outline: 3px solid var(--hms-focus) !important; outline-offset: 2px !important; }}
  .q-field__native:focus-visible, .q-field__input:focus-visible, [tabindex="-1"]:focus-visible {{
    outline: none !important;
  }}
  .q-field--focused .q-field__control {{ outline: 3px solid var(--hms-focus) !important; outline-offset: 2px; }}
  .q-drawer :focus-visible, .q-menu :focus-visible {{ outline-offset: -3px !important; }}
}}
html {{ scroll-padding-top: {HEADER_ROOM}; scroll-padding-bottom: 3rem; }}
@media (prefers-reduced-motion: reduce) {{
  *, *::before, *::after {{
    animation-duration: 0.01ms !important; animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important; scroll-behavior: auto !important;
  }}
}}
.{NAV_LIST} {{ list-style: none; margin: 0; padding: 0; }}
.nicegui-link.{NAV_LINK}, .body--dark .nicegui-link.{NAV_LINK} {{
  display: flex; align-items: center; gap: 1rem; min-height: 48px; padding: 0.5rem 1rem;
  color: inherit !important; text-decoration: none; border-inline-start: 4px solid transparent;
}}
.{NAV_LINK}:hover {{ background: rgba(15, 23, 42, 0.06); }}
.body--dark .{NAV_LINK}:hover {{ background: rgba(255, 255, 255, 0.08); }}
.nicegui-link.{NAV_LINK}[aria-current="page"] {{
  color: {PRIMARY} !important; font-weight: 600; border-inline-start-color: currentColor;
  background: rgba(15, 118, 110, 0.08);
}}
.body--dark .nicegui-link.{NAV_LINK}[aria-current="page"] {{ color: {PRIMARY_ON_DARK} !important; }}
/* Quasar paints a dialog's backdrop at z-index -1 under the dialog; axe's colour check then takes the backdrop for
   the background of the dialog's text. The same order, in plain numbers, reads the same on screen and to axe. */
.q-dialog__backdrop {{ z-index: 0; }}
.q-dialog__inner {{ z-index: 1; }}
.{LIVE_REGION}:empty {{ margin-top: -1rem; }}
.{CHART_TABLE} {{ border-collapse: collapse; width: 100%; font-size: 0.875rem; }}
.{CHART_TABLE} caption {{ text-align: start; font-weight: 500; padding-bottom: 0.25rem; }}
.{CHART_TABLE} th, .{CHART_TABLE} td {{ padding: 0.25rem 0.5rem; border-bottom: 1px solid rgba(148, 163, 184, 0.4); }}
.{CHART_TABLE} th {{ text-align: start; font-weight: 600; }}
.{CHART_TABLE} td.num {{ text-align: end; font-variant-numeric: tabular-nums; }}
"""

# Rules Quasar and NiceGUI leave to the app: link colour with AA contrast, primary text readable in dark mode,
# and Plotly's SVG text (drawn with inline fills) recoloured on dark pages; hover labels stay dark on white.
# Quasar's '.text-primary' is !important inside a cascade layer, which beats any unlayered !important rule: the
# dark-mode override goes into the first layer ('theme'), whose !important rules win over later layers'.
CSS = f"""
.nicegui-link {{ color: {PRIMARY}; }}
.body--dark .nicegui-link {{ color: {PRIMARY_ON_DARK} !important; }}
@layer theme {{
  .body--dark .text-primary {{ color: {PRIMARY_ON_DARK} !important; }}
  .body--dark .text-negative {{ color: {NEGATIVE_ON_DARK} !important; }}
  .body--dark .text-positive {{ color: {POSITIVE_ON_DARK} !important; }}
  .body--dark .text-warning {{ color: {WARNING_ON_DARK} !important; }}
  .body--dark .text-grey-7, .body--dark .text-grey-8 {{ color: {SUBTLE_INK[1]} !important; }}
  .body--dark .q-field--highlighted .q-field__label {{ color: {PRIMARY_ON_DARK} !important; }}
}}
.body--dark .js-plotly-plot .main-svg text {{ fill: {CHART_INK_ON_DARK} !important; }}
.body--dark .js-plotly-plot .hoverlayer text {{ fill: #0f172a !important; }}
.body--dark .js-plotly-plot .modebar-btn path {{ fill: #94a3b8 !important; }}
.hms-sticky-end {{ position: sticky; inset-inline-end: 0; z-index: 1; background: #fff; }}
.body--dark .hms-sticky-end {{ background: var(--q-dark); }}
.hms-sticky-end .q-btn__content {{ flex-wrap: nowrap; }}
{A11Y_CSS}"""
STICKY_END = 'hms-sticky-end'  # a table column (its actions) that stays on screen while the others scroll sideways


MANIFEST_PATH = '/manifest.webmanifest'
APPLE_TOUCH_ICON = ''  # set by pwa.create() to the served icon's URL
STATIC = Path(__file__).parent / 'static'
A11Y_SCRIPT = ''  # set by serve_script() to the served a11y.js's URL


def serve_script() -> None:
    """Serve ``static/a11y.js`` (what the page does after Quasar and Plotly have drawn; see the file) under a
    content-addressed, cached path; pages load it from ``apply``."""
    global A11Y_SCRIPT  # noqa: PLW0603 - set once when the pages are registered
    A11Y_SCRIPT = app.add_static_file(local_file=STATIC / 'a11y.js', max_cache_age=86400)


def apply() -> None:
    """The page's language (``<html lang>``, Quasar's texts), colours, the app's own CSS and the head tags that make
    the site installable; every page calls it first."""
    i18n.apply_to_page()
    ui.colors(
        primary=PRIMARY, secondary=SECONDARY, accent=ACCENT, positive=POSITIVE, negative=NEGATIVE, warning=WARNING
    )
    ui.add_css(CSS)
    head = f'<link rel="manifest" href="{MANIFEST_PATH}"><meta name="theme-color" content="{PRIMARY}">'
    if APPLE_TOUCH_ICON:
        head += f'<link rel="apple-touch-icon" href="{APPLE_TOUCH_ICON}">'
    if A11Y_SCRIPT:
        head += f'<script src="{A11Y_SCRIPT}" defer></script>'
    ui.add_head_html(head)


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two '#rrggbb' colours (4.5 is the AA minimum for body text)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip('#')[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


# How each appointment status, gender and role reads on every page and chart (keys are the stored values; enum
# members match too). Marked for the catalogue: translate where shown, `_(theme.STATUS_LABELS[status])`, or use the
# functions below.
STATUS_LABELS = {
    'booked': N_('Booked'),
    'arrived': N_('Arrived'),
    'in_consultation': N_('In consultation'),
    'completed': N_('Completed'),
    'cancelled': N_('Cancelled'),
    'no_show': N_('No-show'),
}
GENDER_LABELS = {
    'female': N_('Female'),
    'male': N_('Male'),
    'other': N_('Other'),
    'undisclosed': N_('Prefer not to say'),
}
ROLE_LABELS = {
    'admin': N_('Clinic administrator'),
    'doctor': N_('Doctor'),
    'patient': N_('Patient'),
    'reception': N_('Receptionist'),
}


def status_label(status: object) -> str:
    """An appointment status in the page's language ('Booked', 'Gebucht'); unknown values as they are."""
    return _label(STATUS_LABELS, status)


def gender_label(gender: object) -> str:
    return _label(GENDER_LABELS, gender)


def role_label(role: object) -> str:
    return _label(ROLE_LABELS, role)


def gender_options() -> dict[str, str]:
    """The genders for a select, in the page's language."""
    return {value: _(label) for value, label in GENDER_LABELS.items()}


def _label(labels: dict[str, str], value: object) -> str:
    key = str(getattr(value, 'value', value))
    return _(labels[key]) if key in labels else key
