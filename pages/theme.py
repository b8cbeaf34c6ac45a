"""Design tokens: colours and shared classes, in one place."""

from nicegui import ui

PRIMARY = '#0f766e'  # teal 700: calm, clinical, AA contrast on white
SECONDARY = '#334155'
ACCENT = '#0284c7'
POSITIVE = '#15803d'
NEGATIVE = '#b91c1c'
WARNING = '#b45309'

PAGE_WIDTH = 'w-full max-w-5xl mx-auto'
CARD = 'w-full p-4 gap-3'
FORM_CARD = 'w-full max-w-md mx-auto p-6 gap-4'
HEADING = 'text-2xl font-semibold'
SUBTLE = 'text-sm text-gray-600 dark:text-gray-300'
ERROR_BANNER = 'w-full rounded bg-red-50 text-red-800 p-3 text-sm'
INFO_BANNER = 'w-full rounded bg-sky-50 text-sky-900 p-3 text-sm'


def apply() -> None:
    ui.colors(
        primary=PRIMARY, secondary=SECONDARY, accent=ACCENT, positive=POSITIVE, negative=NEGATIVE, warning=WARNING
    )


# How each appointment status reads on every page and chart (keys are the stored values; enum members match too).
STATUS_LABELS = {'booked': 'Booked', 'completed': 'Completed', 'cancelled': 'Cancelled', 'no_show': 'No-show'}
