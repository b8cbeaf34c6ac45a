"""Background jobs: the Celery application and its tasks (run with ``celery -A jobs.celery_app worker``)."""
