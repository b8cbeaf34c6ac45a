"""Business rules. Plain functions over a unit of work; no web, API or Celery imports here."""
