"""argon2id holds 64 MiB per hash: only a few run at once (a quarter of the cores), however many sign-ins arrive."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hms.security import passwords


class _CountingHasher:
    """Stands in for argon2: records how many hashes run at the same moment."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def _work(self) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)  # long enough for the other threads to pile up behind the limit
        with self._lock:
            self.running -= 1

    def hash(self, password: str) -> str:
        self._work()
        return 'hash'

    def verify(self, password_hash: str, password: str) -> bool:
        self._work()
        return True


def test_only_a_few_argon2_hashes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _CountingHasher()
    monkeypatch.setattr(passwords, '_hasher', fake)
    monkeypatch.setattr(passwords, '_ARGON2_SLOTS', passwords.threading.BoundedSemaphore(2))  # as on 8 cores
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda n: passwords.verify_password('stored', f'pw-{n}'), range(12)))
        list(pool.map(lambda n: passwords.hash_password(f'pw-{n}'), range(12)))
    assert all(results)
    assert fake.most == 2
