"""Works on a closed network: the API docs load Swagger UI from the package, and no page refers to another site.
HEAD answers like GET without a body (uptime monitors). Every answer carries its request's id."""

from __future__ import annotations

import re

from nicegui.testing import User

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""")


def referenced(html: str) -> list[str]:
    return [first or second for first, second in ASSET.findall(html)]


async def test_the_api_docs_page_and_its_assets_are_served_here(user: User) -> None:
    docs = await user.http_client.get('/api/docs')
    assert docs.status_code == 200 and 'SwaggerUIBundle' in docs.text
    urls = referenced(docs.text)
    assert '/api/openapi.json' in urls
    assert len(urls) >= 4  # script, styles, icon, the document
    assert all(url.startswith('/api/') for url in urls), urls
    assert 'https://' not in docs.text and 'http://' not in docs.text
    for url in urls:
        assert (await user.http_client.get(url)).status_code == 200, url
    script = await user.http_client.get('/api/docs/assets/swagger-ui-bundle.js')
    assert 'javascript' in script.headers['content-type'] and len(script.content) > 100_000
    assert (await user.http_client.get('/api/docs/oauth2-redirect')).status_code == 200


async def test_pages_fetch_nothing_from_another_site(user: User) -> None:
    for path in ('/login', '/register'):
        page = await user.http_client.get(path)
        assert page.status_code == 200
        outside = [url for url in referenced(page.text) if url.startswith(('http:', 'https:', '//'))]
        assert outside == [], (path, outside)


async def test_head_answers_like_get_without_a_body(user: User) -> None:
    for path in ('/', '/login', '/api/health', '/api/docs'):
        got = await user.http_client.get(path)
        head = await user.http_client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b'', path
        for header in ('content-type', 'location'):
            assert head.headers.get(header) == got.headers.get(header), (path, header)
    assert (await user.http_client.head('/login')).status_code == 200
    assert (await user.http_client.head('/api/login')).status_code == 405  # POST only, as GET would say


async def test_every_answer_carries_a_request_id(user: User) -> None:
    first = await user.http_client.get('/login')
    second = await user.http_client.get('/api/health')
    ids = [first.headers['x-request-id'], second.headers['x-request-id']]
    assert all(re.fullmatch(r'[0-9a-f]{16}', value) for value in ids) and ids[0] != ids[1]
    assert second.headers.get_list('x-request-id') == [ids[1]]  # once, though pages and API both set it

    kept = await user.http_client.get('/api/health', headers={'X-Request-ID': 'lb-7f3a.2_x'})
    assert kept.headers['x-request-id'] == 'lb-7f3a.2_x'  # a proxy's id follows the request into our log
    replaced = await user.http_client.get('/api/health', headers={'X-Request-ID': 'evil\\r\\nline'})
    assert re.fullmatch(r'[0-9a-f]{16}', replaced.headers['x-request-id'])
