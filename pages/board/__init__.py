"""The waiting room's screen (``/board/<secret>``): opened by a device link, with no one signed in."""
