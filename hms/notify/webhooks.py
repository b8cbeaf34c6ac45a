"""Chat (Google Chat style incoming webhook) and SMS gateway (URL template) channels over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from .message import DeliveryError

if TYPE_CHECKING:
    import httpx

# httpx is imported when a message goes out on these channels: a worker that only sends email never loads it.
TIMEOUT = 10.0


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        # 4xx means the request itself is wrong (bad URL, token): retrying will not help; 5xx may pass later.
        raise DeliveryError(f'{what} answered HTTP {response.status_code}', permanent=response.status_code < 500)


def post_chat(url: str, text: str) -> None:
    import httpx

    try:
        response = httpx.post(url, json={'text': text}, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise DeliveryError(f'chat webhook unreachable: {type(error).__name__}', permanent=False) from error
    _raise_for(response, 'chat webhook')


def send_sms(url_template: str, phone: str, text: str) -> None:
    import httpx

    url = url_template.replace('{phone}', quote(phone, safe='')).replace('{text}', quote(text, safe=''))
    try:
        response = httpx.get(url, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise DeliveryError(f'SMS gateway unreachable: {type(error).__name__}', permanent=False) from error
    _raise_for(response, 'SMS gateway')
