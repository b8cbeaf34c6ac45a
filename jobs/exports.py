"""Celery tasks of the exports feature."""
