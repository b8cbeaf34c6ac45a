"""Security headers on pages, API responses and downloads of the whole app (main.py builds it)."""

from __future__ import annotations

import re

from nicegui.testing import User

EXPECTED = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
}


async def test_pages_and_api_are_not_stored_and_not_framed(user: User) -> None:
    for path in ('/login', '/register', '/api/me', '/api/openapi.json', '/admin'):
        response = await user.http_client.get(path)
        for header, value in EXPECTED.items():
            assert response.headers[header] == value, (path, header)
        assert response.headers['cache-control'] == 'no-store', path
        policy = response.headers['content-security-policy']
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy and "default-src 'self'" in policy


async def test_framework_assets_stay_cacheable(user: User) -> None:
    page = await user.http_client.get('/login')
    asset = re.search(r'(/_nicegui/[^"\']+\.js)', page.text)
    assert asset is not None
    response = await user.http_client.get(asset.group(1))
    assert response.status_code == 200
    assert 'no-store' not in response.headers.get('cache-control', '')
    assert response.headers['x-content-type-options'] == 'nosniff'


async def test_the_api_docs_load_nothing_from_another_site(user: User) -> None:
    docs = await user.http_client.get('/api/docs')
    assert docs.status_code == 200
    assert (
        docs.headers['content-security-policy']
        == (await user.http_client.get('/login')).headers['content-security-policy']
    )
    assert 'https://' not in docs.headers['content-security-policy']
