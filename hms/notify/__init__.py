"""Notification channels: email over SMTP (with a local sink in development), a chat webhook and an SMS gateway; the
messages' templates (``render``, ``templates/``) and dates (``moments``), written in the language in force."""
