"""migrate_schemas when every schema is already current: what an operator pays on each deploy."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.env import progress

ROOT = Path(__file__).resolve().parent.parent


def tenant_schemas() -> list[str]:
    from django.db import connection
    from django_tenants.utils import get_public_schema_name

    from tenants.models import Tenant

    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' backend
    return list(
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )


def all_current(schemas: list[str]) -> bool:
    from callcenter.core.migrations_fastpath import is_up_to_date

    _clear_process_caches()
    return all(is_up_to_date(schema) for schema in schemas)


def _clear_process_caches() -> None:
    """A deploy runs migrate_schemas in a fresh process: do not reuse the cached migration set
    (and pick up migration files added since this process read them), nor the connection."""
    from django.db import connection

    from callcenter.core.migrations_fastpath import expected_tenant_migrations

    expected_tenant_migrations.cache_clear()
    connection.close()


def applied_rows(schemas: list[str]) -> int:
    """How many migrations are recorded in all of ``schemas``: any change means a run was no no-op."""
    from django.db import connection

    from callcenter.core.tenancy import is_safe_schema_name

    if not all(is_safe_schema_name(schema) for schema in schemas):
        raise ValueError("unexpected schema name")
    union = " UNION ALL ".join(f'SELECT count(*) AS n FROM "{schema}".django_migrations' for schema in schemas)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sum(n) FROM ({union}) AS counts")
        return int(cursor.fetchone()[0])


def settle() -> float:
    """One untimed migrate_schemas, as a deploy's first: applies whatever is pending (migration files
    may change while the benchmark runs), so the timed runs that follow have nothing to do."""
    from django.core.management import call_command

    _clear_process_caches()
    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    return time.perf_counter() - started


def _timed_noop(run: Callable[[], None], watched: list[str], attempts: int) -> float:
    """Wall seconds of ``run`` when it changed nothing; a run that applied a migration is discarded."""
    for _ in range(attempts):
        before = applied_rows(watched)
        _clear_process_caches()
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
        if applied_rows(watched) == before:
            return elapsed
        progress(f"a run applied migrations ({elapsed:.1f}s) so it was no no-op: discarded, measuring again")
    raise RuntimeError(f"No no-op migration run in {attempts} attempts: migration files keep changing.")


def time_full_command(runs: int, watched: list[str], attempts: int = 3) -> list[float]:
    """Wall seconds of ``call_command("migrate_schemas")`` (shared and tenants), once per run."""
    from django.core.management import call_command

    def run() -> None:
        call_command("migrate_schemas", interactive=False, verbosity=0)

    return [_timed_noop(run, watched, attempts) for _ in range(runs)]


def _call_command_options() -> dict[str, Any]:
    """The options call_command("migrate_schemas", interactive=False, verbosity=0) hands an executor."""
    from django_tenants.management.commands.migrate_schemas import Command

    parser = Command().create_parser("manage.py", "migrate_schemas")
    options = vars(parser.parse_args([]))
    options.update(interactive=False, verbosity=0, skip_checks=True)
    return options


def time_executor(executor_class: type, schemas: list[str], watched: list[str], attempts: int = 3) -> float:
    """Wall seconds for one executor class to run migrate over ``schemas`` (all already current)."""

    def run() -> None:
        executor_class((), _call_command_options()).run_migrations(tenants=list(schemas))

    elapsed = _timed_noop(run, watched, attempts)
    _clear_process_caches()
    return elapsed


def time_cli(env: dict[str, str], timeout_s: float) -> float:
    """Wall seconds of `manage.py migrate_schemas --noinput` as a deploy runs it, process start included."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr.fileno(),
        stderr=sys.stderr.fileno(),
        check=True,
        timeout=timeout_s,
    )
    return time.perf_counter() - started


@contextmanager
def _recording_checked_schemas() -> Iterator[list[str]]:
    from callcenter.core import migrations_fastpath

    checked: list[str] = []
    original = migrations_fastpath.is_up_to_date

    def recording(schema_name: str) -> bool:
        checked.append(schema_name)
        return original(schema_name)

    migrations_fastpath.is_up_to_date = recording  # type: ignore[assignment]
    try:
        yield checked
    finally:
        migrations_fastpath.is_up_to_date = original


def template_checked_by(**command_options: Any) -> bool:
    """Whether a migrate_schemas run with these options looks at the template schema at all."""
    from django.conf import settings
    from django.core.management import call_command

    with _recording_checked_schemas() as checked:
        call_command("migrate_schemas", interactive=False, verbosity=0, **command_options)
    return settings.TENANT_TEMPLATE_SCHEMA in checked


def median_ms_per_schema(times_s: list[float], schemas: int) -> float:
    return round(statistics.median(times_s) * 1000 / schemas, 2)
