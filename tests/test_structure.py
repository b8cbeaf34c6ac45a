"""The shape of the code, as tests: the layering of ARCHITECTURE.md fails the build when it regresses.

- no module reaches into another one's private names (``_x``);
- services build no query (``hms/db/`` owns persistence);
- the import-linter contracts in ``pyproject.toml`` hold (layers point down, no cycles);
- nothing in ``hms/`` but the composition root (``hms/cli.py``) knows ``jobs/`` or ``pages/``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ('hms', 'pages', 'jobs')
SQL_BUILDERS = frozenset({'select', 'update', 'delete', 'insert'})


@dataclass(frozen=True)
class Source:
    path: Path
    module: str  # dotted name, e.g. 'hms.services.accounts' (a package's __init__ is the package)
    is_package: bool
    tree: ast.Module

    @property
    def where(self) -> str:
        return str(self.path.relative_to(ROOT))


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    is_package = parts[-1] == '__init__'
    if is_package:
        parts.pop()
    return '.'.join(parts), is_package


@cache
def _sources(*folders: str) -> tuple[Source, ...]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob('*.py')):
            module, is_package = _module_name(path)
            found.append(Source(path, module, is_package, ast.parse(path.read_text(encoding='utf-8'), str(path))))
    return tuple(found)


def _is_ours(module: str) -> bool:
    return module.partition('.')[0] in OUR_PACKAGES


@cache
def _is_our_module(module: str) -> bool:
    """Whether ``module`` names a module or package of ours (a file or a folder here), not a name inside one."""
    if not _is_ours(module):
        return False
    base = ROOT.joinpath(*module.split('.'))
    return base.with_suffix('.py').is_file() or (base / '__init__.py').is_file()


def _private(name: str) -> bool:
    # '_' alone is gettext's public name (hms.i18n._), dunders are Python's own
    return name.startswith('_') and name != '_' and not (name.startswith('__') and name.endswith('__'))


def _imported_from(source: Source, node: ast.ImportFrom) -> str:
    """The absolute module an ``import from`` reads from (relative imports resolved against ``source``)."""
    if not node.level:
        return node.module or ''
    package = source.module.split('.') if source.is_package else source.module.split('.')[:-1]
    base = package[: len(package) - (node.level - 1)]
    return '.'.join([*base, node.module] if node.module else base)


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(tree):  # every import, also those inside functions
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def _module_aliases(source: Source) -> dict[str, str]:
    """Local names bound to modules of ours: ``import hms.x as y``, ``from hms import services``, ``import hms``."""
    aliases: dict[str, str] = {}
    for node in _imports(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_ours(alias.name):
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.partition('.')[0]
                        aliases[top] = top
        else:
            module = _imported_from(source, node)
            for alias in node.names:
                if _is_our_module(f'{module}.{alias.name}'):
                    aliases[alias.asname or alias.name] = f'{module}.{alias.name}'
    return aliases


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ['a', 'b', 'c']; None for anything that is not a plain chain of names."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def private_uses(source: Source) -> list[str]:
    """Where ``source`` uses a private name of another module of ours."""
    problems: list[tuple[int, str]] = []
    for node in _imports(source.tree):
        if isinstance(node, ast.ImportFrom):
            module = _imported_from(source, node)
            if not _is_ours(module) or module == source.module:
                continue
            for alias in node.names:
                if _private(alias.name):
                    problems.append((node.lineno, f'from {module} import {alias.name}'))
    aliases = _module_aliases(source)
    for node in ast.walk(source.tree):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        chain = _dotted(node.value)
        if chain is None or chain[0] not in aliases:
            continue
        module = '.'.join([aliases[chain[0]], *chain[1:]])
        if _is_our_module(module) and module != source.module:
            problems.append((node.lineno, f'{module}.{node.attr}'))
    return _listed(source, problems)


def _listed(source: Source, problems: list[tuple[int, str]]) -> list[str]:
    return [f'{source.where}:{line}: {what}' for line, what in sorted(problems)]


def _sqlalchemy_names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Local names of SQLAlchemy's statement builders, and local names bound to SQLAlchemy modules."""
    builders: set[str] = set()
    modules: set[str] = set()
    for node in _imports(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level or (node.module or '').partition('.')[0] != 'sqlalchemy':
                continue
            for alias in node.names:
                (builders if alias.name in SQL_BUILDERS else modules).add(alias.asname or alias.name)
        else:
            for alias in node.names:
                if alias.name.partition('.')[0] == 'sqlalchemy':
                    modules.add(alias.asname or alias.name.partition('.')[0])
    return builders, modules


def sql_in(source: Source) -> list[str]:
    """Statements built or executed in ``source``: ``select(...)``, ``update(...)``, ..., ``.execute(...)``."""
    builders, modules = _sqlalchemy_names(source.tree)
    problems: list[tuple[int, str]] = []
    for node in ast.walk(source.tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and (func.id in builders or func.id in SQL_BUILDERS):
            problems.append((node.lineno, f'{func.id}(...)'))
        elif isinstance(func, ast.Attribute) and func.attr == 'execute':
            problems.append((node.lineno, '.execute(...)'))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in SQL_BUILDERS
            and (chain := _dotted(func.value)) is not None
            and chain[0] in modules
        ):
            problems.append((node.lineno, f'{".".join(chain)}.{func.attr}(...)'))
    return _listed(source, problems)


def entry_point_imports(source: Source) -> list[str]:
    """Imports of ``jobs`` or ``pages`` in ``source``."""
    problems = []
    for node in _imports(source.tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            module = _imported_from(source, node)
            modules = [module] if module else []
        for module in modules:
            if module.partition('.')[0] in ('jobs', 'pages'):
                problems.append(f'{source.where}:{node.lineno}: imports {module}')
    return problems


# --- the checks themselves are checked on small samples, so that a scan that finds nothing means something -----------


def _sample(code: str, module: str = 'hms.services.sample') -> Source:
    return Source(ROOT / 'hms' / 'services' / 'sample.py', module, False, ast.parse(code))


def test_the_private_name_scan_finds_what_it_should() -> None:
    found = private_uses(
        _sample(
            'from hms.domain.schemas import _no_control_chars\n'
            'from .appointments import _visible\n'
            'from hms.security import passwords\n'
            'import hms.security.passwords as pw\n'
            'import hms.domain.schemas\n'
            'passwords._hasher\n'
            'pw._hasher\n'
            'hms.domain.schemas._phone\n'
        )
    )
    assert len(found) == 5, found
    assert not private_uses(
        _sample(
            'from hms.domain.schemas import no_control_chars\n'
            'from . import accounts\n'
            'from pydantic import _internal\n'
            'accounts.__name__\n'
            'self._cache\n'
            'accounts.User._private_thing\n'  # a class's attribute, not a module's name: not this check
        )
    )


def test_the_sql_scan_finds_what_it_should() -> None:
    found = sql_in(
        _sample(
            'import sqlalchemy as sa\n'
            'from sqlalchemy import select, update as sql_update\n'
            'select(User)\n'
            'sql_update(User)\n'
            'uow.session.execute(query)\n'
            'sa.delete(User)\n'
        )
    )
    assert len(found) == 4, found
    assert not sql_in(_sample('uow.departments.delete(department)\nuow.appointments.find(criteria)\n'))


# --- the structure ----------------------------------------------------------------------------------------------------


def test_no_module_uses_another_modules_private_names() -> None:
    problems = [problem for source in _sources(*OUR_PACKAGES) for problem in private_uses(source)]
    assert not problems, 'private names used across modules (make them public, or move the code):\n' + '\n'.join(
        problems
    )


def test_services_build_no_sql() -> None:
    problems = [problem for source in _sources('hms/services') for problem in sql_in(source)]
    assert not problems, 'SQL in services (move the query into a repository in hms/db/):\n' + '\n'.join(problems)


def test_jobs_build_no_sql_and_read_no_models() -> None:
    problems = [problem for source in _sources('jobs') for problem in sql_in(source)]
    for source in _sources('jobs'):
        for node in _imports(source.tree):
            modules = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [_imported_from(source, node)]
            )
            problems += [
                f'{source.where}:{node.lineno}: imports {module}'
                for module in modules
                if module.partition('.')[0] == 'sqlalchemy' or module == 'hms.db.models'
            ]
    assert not problems, 'jobs call services; queries and models stay below them:\n' + '\n'.join(problems)


def test_the_import_contracts_hold() -> None:
    """Layers point down and nothing imports in a cycle (``lint-imports``, configured in pyproject.toml)."""
    lint_imports = Path(sys.executable).parent / 'lint-imports'
    result = subprocess.run(
        [str(lint_imports), '--no-cache'], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_only_the_composition_root_imports_jobs_or_pages() -> None:
    problems = [
        problem for source in _sources('hms') if source.module != 'hms.cli' for problem in entry_point_imports(source)
    ]
    assert not problems, 'hms/ reaches jobs/ or pages/ only through hms/cli.py (ports for the rest):\n' + '\n'.join(
        problems
    )
