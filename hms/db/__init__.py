"""Persistence: typed SQLAlchemy 2 models, the engine, repositories and the unit of work."""
