"""Notification channels: email over SMTP (with a local sink in development), a chat webhook and an SMS gateway."""
