"""HMS as a package: the wheel holds everything the app reads at run time, installs into a fresh virtual environment
(not editable) and starts there; one version number everywhere; every setting documented in .env.example and README."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from nicegui.testing import User

from hms import __version__
from hms.api.app import create_api
from hms.cli import main
from hms.config import Settings
from pages.ui.theme import MANIFEST_PATH

from .page_steps import sign_in_admin
from .processes import alive, descendants, free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
STARTUP_LIMIT = 120.0  # a liveness bound for a slow shared machine, not a performance assertion
# What a source distribution holds: the wheel is built from a copy of these, so nothing else of the working tree
# (build/, caches, compiled catalogues, a developer's data folder) can slip in or hide a missing file.
SOURCES = ('pyproject.toml', 'README.md', 'LICENSE', 'hms', 'pages', 'jobs')
LEFT_OUT = shutil.ignore_patterns('__pycache__', '*.pyc', '*.mo', '.merge.lock')


def _settings_names() -> list[str]:
    return [f'HMS_{name.upper()}' for name in Settings.model_fields]


def test_the_version_is_the_installed_package_s_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = (ROOT / 'pyproject.toml').read_text(encoding='utf-8')
    assert re.search(rf'^version = "{re.escape(__version__)}"$', pyproject, re.MULTILINE)
    assert create_api().openapi()['info']['version'] == __version__
    with pytest.raises(SystemExit) as done:
        main(['--version'])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f'hms {__version__}'


async def test_every_page_s_footer_names_the_release(user: User) -> None:
    await user.open('/login')
    await user.should_see(f'HMS {__version__}')
    await sign_in_admin(user)  # a page inside the signed-in frame
    await user.should_see(f'HMS {__version__}')
    missing = await user.http_client.get('/no/such/page')  # the error pages' frame
    assert missing.status_code == 404 and f'HMS {__version__}' in missing.text


def test_env_example_lists_every_setting_with_its_default() -> None:
    lines = (ROOT / '.env.example').read_text(encoding='utf-8').splitlines()
    written = dict(
        match.groups() for line in lines if (match := re.fullmatch(r'# (HMS_[A-Z_]+)=(.*?)(?:\s+#.*)?', line))
    )
    assert sorted(written) == sorted(_settings_names())
    for name, field in Settings.model_fields.items():
        value = written[f'HMS_{name.upper()}']
        if field.default is None:
            assert value == '', f'HMS_{name.upper()} has no default: leave it empty'
        else:  # what the line says is what HMS uses when it is not set
            assert getattr(Settings(_env_file=None, **{name: value}), name) == field.default, name


def test_readme_s_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    documented = set(re.findall(r'^\| `(HMS_[A-Z_]+)` \|', readme, re.MULTILINE))
    assert documented == set(_settings_names())


def test_migrations_live_in_the_package_only() -> None:
    assert not (ROOT / 'migrations').exists(), 'migrations belong in hms/migrations (the wheel ships that folder)'
    assert sorted((ROOT / 'hms' / 'migrations' / 'versions').glob('0*.py'))


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / 'source'
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=LEFT_OUT)
        else:
            shutil.copy2(path, source / name)
    # Offline: the backend (setuptools, in the dev extra) from this environment, no download.
    command = [
        sys.executable,
        '-m',
        'pip',
        'wheel',
        '--no-deps',
        '--no-build-isolation',
        '-q',
        '-w',
        'dist',
        './source',
    ]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / 'dist').glob('hms-*.whl')
    return wheel


def _fresh_environment(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment holding only the wheel; the dependencies come from this environment's
    site-packages through a .pth line (a plain path: this environment's editable hook for the repository is not run)."""
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True, timeout=120)
    python = venv / 'bin' / 'python'
    purelib = subprocess.run(
        [python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    Path(purelib, 'hms-test-dependencies.pth').write_text(sysconfig.get_paths()['purelib'] + '\n', encoding='utf-8')
    install = [sys.executable, '-m', 'pip', '--python', str(python), 'install', '--no-deps', '--no-index', '-q']
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=300)
    return venv


def _clean_env(**settings: str) -> dict[str, str]:
    """The environment of an operator's shell: nothing of pytest, NiceGUI's test mode, this checkout or its venv."""
    dropped = ('HMS_', 'PYTEST_', 'NICEGUI_', 'PYTHON', 'VIRTUAL_ENV')
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    return {**env, **settings}


def _run(venv: Path, *args: str, cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, env=_clean_env(), check=True, capture_output=True, text=True, timeout=120)
    return done.stdout.strip()


def test_the_wheel_installs_into_a_fresh_environment_and_serves(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    runtime_files = [
        *(ROOT / 'hms' / 'migrations').rglob('*.py'),
        ROOT / 'hms' / 'migrations' / 'script.py.mako',
        *(ROOT / 'hms' / 'locale').rglob('*.po'),
        *(ROOT / 'hms' / 'notify' / 'templates').iterdir(),
        *(ROOT / 'pages' / 'ui' / 'static').iterdir(),
    ]
    missing = [str(path.relative_to(ROOT)) for path in runtime_files if str(path.relative_to(ROOT)) not in names]
    assert not missing
    assert f'hms-{__version__}.dist-info/licenses/LICENSE' in names

    venv = _fresh_environment(tmp_path, wheel)
    home = tmp_path / 'home'  # a working directory with nothing of the repository in it
    home.mkdir()
    where = _run(
        venv,
        str(venv / 'bin' / 'python'),
        '-c',
        'import hms, pages, jobs; print(hms.__file__, pages.__file__, jobs.__file__)',
        cwd=home,
    )
    assert all(path.startswith(str(venv)) for path in where.split()), where
    assert _run(venv, str(venv / 'bin' / 'hms'), '--version', cwd=home) == f'hms {__version__}'

    data_dir, port = tmp_path / 'data', free_port()
    log_path = tmp_path / 'web.log'
    env = _clean_env(HMS_DATA_DIR=str(data_dir), HMS_HOST='127.0.0.1', HMS_PORT=str(port))
    with log_path.open('w') as log:
        web = subprocess.Popen([venv / 'bin' / 'hms', 'web'], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        login = _wait_for(f'http://127.0.0.1:{port}/login', web, log_path)
        assert f'HMS {__version__}' in login.text
        health = httpx.get(f'http://127.0.0.1:{port}/api/health', timeout=5)
        assert health.status_code == 200 and health.json() == {'status': 'ok'}
        document = httpx.get(f'http://127.0.0.1:{port}/api/openapi.json', timeout=5).json()
        assert document['info']['version'] == __version__
        manifest = httpx.get(f'http://127.0.0.1:{port}{MANIFEST_PATH}', timeout=5).json()
        for icon in manifest['icons']:  # the PWA icons came with the package
            png = httpx.get(f'http://127.0.0.1:{port}{icon["src"]}', timeout=5)
            assert png.status_code == 200 and png.content.startswith(b'\x89PNG'), icon
    finally:
        children = descendants(web.pid)
        stop_process(web, signal.SIGTERM, timeout=30)
        for pid in children:
            assert not alive(pid)
    with sqlite3.connect(data_dir / 'hms.db') as database:  # the installed migrations ran
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {'alembic_version', 'users', 'appointments', 'audit_log'} <= tables


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f'{url} did not answer:\n{log.read_text()}')
