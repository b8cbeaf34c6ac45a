"""Headless Chromium against the running server: how soon the login page, a patient's booking page and the admin
dashboard are usable, and how many dashboards one web process serves with interaction p95 under a limit."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from .data import DEMO_PASSWORD, Accounts
from .measure import percentile
from .server import ADMIN_EMAIL, ADMIN_PASSWORD

CHROMIUM = '/usr/bin/chromium'
TIMEOUT_MS = 30_000
GIVE_UP_MS = 5_000  # the ramp goes on past the limit, to show the trend, until p95 reaches this
PERIOD_TEXT = re.compile(r'^\S.* to .*updated')  # '26 Oct 2026 to 24 Nov 2026 · updated 07:34'
SLOT_BUTTON = re.compile(r', \d\d:\d\d$')
PRESETS = ['Last 7 days', 'Last 90 days', 'Last 30 days']  # cycled: each choice changes the period shown


async def sign_in(context: BrowserContext, base_url: str, email: str, password: str) -> Page:
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f'{base_url}/login')
    await page.get_by_label('Email').fill(email)
    await page.get_by_label('Password', exact=True).fill(password)
    await page.get_by_role('button', name='Sign in').click()
    await page.wait_for_url(lambda url: '/login' not in url)
    return page


async def _usable(page: Page, url: str, ready: Any) -> float:
    started = time.perf_counter()
    await page.goto(url, wait_until='commit')
    await ready.wait_for(state='visible')
    return (time.perf_counter() - started) * 1000


async def page_times(browser: Browser, base_url: str, accounts: Accounts, runs: int) -> list[dict[str, Any]]:
    """Median and worst time from navigation to the page's first control being visible (the page usable)."""
    samples: dict[str, list[float]] = {'login page': [], "patient's booking page": [], 'admin dashboard': []}
    doctor_id = accounts.doctors[0][1]
    for run in range(runs):
        context = await browser.new_context()
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        samples['login page'].append(await _usable(page, f'{base_url}/login', page.get_by_label('Email')))
        await context.close()

        context = await browser.new_context()
        page = await sign_in(context, base_url, accounts.patients[-1 - run][0], DEMO_PASSWORD)
        slot = page.get_by_role('button', name=SLOT_BUTTON).first
        samples["patient's booking page"].append(await _usable(page, f'{base_url}/patient/doctors/{doctor_id}', slot))
        await context.close()

        context = await browser.new_context()
        page = await sign_in(context, base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
        chart = page.locator('.js-plotly-plot .main-svg').first
        samples['admin dashboard'].append(await _usable(page, f'{base_url}/admin', chart))
        await context.close()
    return [
        {'what': name, 'runs': len(times), 'median_ms': statistics.median(times), 'max_ms': max(times)}
        for name, times in samples.items()
    ]


async def _open_dashboard(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context()
    page = await sign_in(context, base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    if not page.url.rstrip('/').endswith('/admin'):
        await page.goto(f'{base_url}/admin')
    await page.get_by_text(PERIOD_TEXT).wait_for(state='visible')
    return context, page


async def _interact(page: Page, rounds: int) -> list[float]:
    """Choose another period ``rounds`` times; each time, from the click on the option to the new period shown
    (the charts are updated in the same message from the server)."""
    latencies = []
    current = 'Last 30 days'
    period = page.get_by_text(PERIOD_TEXT)
    for turn in range(rounds):
        choice = PRESETS[turn % len(PRESETS)]
        before = await period.inner_text()
        await page.get_by_text(current, exact=True).first.click()
        option = page.get_by_role('option', name=choice, exact=True)
        await option.wait_for(state='visible')
        label = await period.element_handle()
        started = time.perf_counter()
        await option.click()
        # checked on every animation frame (expect() polls at 100 ms and more, too coarse for this)
        await page.wait_for_function(
            '([label, before]) => label.innerText !== before', arg=[label, before], polling='raf', timeout=TIMEOUT_MS
        )
        latencies.append((time.perf_counter() - started) * 1000)
        current = choice
    return latencies


async def capacity(
    browser: Browser, base_url: str, levels: list[int], rounds: int, limit_ms: float
) -> tuple[list[dict[str, Any]], int]:
    """Ramp up connected dashboards; at each level all of them re-filter at once. Returns every level's numbers and
    the largest level whose interaction p95 stayed under ``limit_ms``. A level where a dashboard could not even be
    opened or an interaction failed, or p95 passed GIVE_UP_MS, ends the ramp."""
    rows: list[dict[str, Any]] = []
    held = 0
    for level in levels:
        opened: list[tuple[BrowserContext, Page]] = []
        results: list[Any] = []
        try:
            for _ in range(level):  # one after another: sign-ins are deliberately slow (argon2)
                opened.append(await _open_dashboard(browser, base_url))
            results = await asyncio.gather(*(_interact(page, rounds) for _, page in opened), return_exceptions=True)
        except Exception as error:  # the server could not take one more: this level failed
            results = [error]
        finally:
            await asyncio.gather(*(context.close() for context, _ in opened), return_exceptions=True)
        latencies = [value for result in results if isinstance(result, list) for value in result]
        errors = [result for result in results if isinstance(result, BaseException)]
        failures = len(errors)
        p95 = percentile(latencies, 95)
        rows.append(
            {
                'clients': level,
                'interactions': len(latencies),
                'median_ms': percentile(latencies, 50),
                'p95_ms': p95,
                'failed_clients': failures,
                'error': f'{type(errors[0]).__name__}: {str(errors[0])[:200]}' if errors else '',
            }
        )
        if p95 < limit_ms and not failures:
            held = level
        if failures or not p95 < GIVE_UP_MS:  # past the point where more clients could tell anything new
            break
    return rows, held


async def run(
    base_url: str, accounts: Accounts, runs: int, levels: list[int], limit_ms: float, into: dict[str, Any]
) -> None:
    """Page times, then the ramp, written into ``into`` as each finishes (a failed ramp keeps the page times)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        try:
            into.update(
                {
                    'pages': await page_times(browser, base_url, accounts, runs),
                    'ramp': [],
                    'held': 0,
                    'limit_ms': limit_ms,
                }
            )
            into['ramp'], into['held'] = await capacity(browser, base_url, levels, rounds=5, limit_ms=limit_ms)
        finally:
            await browser.close()
