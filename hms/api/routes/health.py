"""A bare liveness answer: no sign-in, no database; also the benchmark's baseline for what the framework costs."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=['health'])


@router.get('/health', summary='The server answers', response_model=dict[str, str])
def health() -> dict[str, str]:
    """`{"status": "ok"}` while the web process runs (it reads nothing, so it says nothing about the database)."""
    return {'status': 'ok'}
