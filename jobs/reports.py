"""Celery tasks of the reports feature."""
