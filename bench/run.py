"""`make bench`: one JSON line per figure on stdout, progress on stderr.

Suites run in order, each with its own time budget: ``tenants`` (below), ``realtime``
(bench/realtime/: chat delivery, idle sockets, uvicorn vs daphne, lost messages; see
bench/realtime/suite.py), then ``routing-engine`` (bench/routing/engine.py: assignments with
15,000 and 1,500 agents, the simulated peak hour), ``routing``, ``tickets``, ``workbench``
(bench/workbench/suite.py: the screen pop's API on 100,000 customers and 2,000,000 messages)
and ``workbench-desk`` (bench/workbench/first_paint.py: accept to screen pop in chromium).
``python bench/run.py --suite realtime`` (or any other suite's name) runs one.

The tenants suite: the platform is first filled with a hundred tenants; on it, ten signups go
through a real Celery worker (tenant.provision_s), then migrate_schemas runs with nothing to do
(tenant.migrate_noop_ms_per_tenant, and the library's StandardExecutor for comparison).

Runs on its own database (callcenter_bench, dropped and made again each run) and its own Redis
database (12) with their own key prefixes, so it never touches development or test data.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.env import Results

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET_S = 540.0  # the measurements plan their work to end by then
ALARM_S = 570  # then the run is interrupted, the worker stopped, and it exits
HARD_STOP_S = 590.0  # and if that is stuck, the process ends anyway
SIGNUPS = 10
MIGRATE_TENANTS = 100
STANDARD_EXECUTOR_TENANTS = 10
MIGRATE_RUNS = 3


class BudgetExceeded(Exception):
    pass


@dataclass(frozen=True)
class Suite:
    name: str
    run: Callable[[Results, dict[str, str], float], None]  # (results, environment, its start on time.monotonic())
    alarm_s: int
    hard_stop_s: float


class _Armed:
    suite: Suite | None = None
    watchdog: threading.Timer | None = None


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    suite = _Armed.suite
    raise BudgetExceeded(f"The {suite.name if suite else ''} suite ran past {suite.alarm_s if suite else ALARM_S}s.")


def _on_terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _hard_stop() -> None:
    from bench.env import progress
    from bench.provision import stop_all_workers
    from bench.realtime.servers import kill_all_servers

    suite = _Armed.suite
    progress(
        f"hard stop of the {suite.name if suite else ''} suite after {suite.hard_stop_s if suite else HARD_STOP_S:.0f}s"
    )
    kill_all_servers()
    stop_all_workers()
    os._exit(3)


def _arm(suite: Suite) -> None:
    """The suite's own budget: SIGALRM at alarm_s, and a hard stop at hard_stop_s, from now."""
    _disarm()
    _Armed.suite = suite
    signal.alarm(suite.alarm_s)
    watchdog = threading.Timer(suite.hard_stop_s, _hard_stop)
    watchdog.daemon = True
    watchdog.start()
    _Armed.watchdog = watchdog


def _disarm() -> None:
    signal.alarm(0)
    if _Armed.watchdog is not None:
        _Armed.watchdog.cancel()
    _Armed.watchdog = None


def _stop_subprocesses() -> None:
    from bench.provision import stop_all_workers
    from bench.realtime.servers import stop_all_servers

    stop_all_servers()
    stop_all_workers()


def _suites() -> dict[str, Suite]:
    from bench.realtime import suite as realtime
    from bench.routing import engine
    from bench.routing import suite as routing
    from bench.tickets import suite as tickets
    from bench.workbench import first_paint
    from bench.workbench import suite as workbench

    return {
        "tenants": Suite("tenants", _tenant_suite, ALARM_S, HARD_STOP_S),
        "realtime": Suite("realtime", realtime.run_realtime_suite, realtime.ALARM_S, realtime.HARD_STOP_S),
        "routing-engine": Suite("routing-engine", engine.run_engine_suite, engine.ALARM_S, engine.HARD_STOP_S),
        "routing": Suite("routing", routing.run_routing_suite, routing.ALARM_S, routing.HARD_STOP_S),
        "tickets": Suite("tickets", tickets.run_tickets_suite, tickets.ALARM_S, tickets.HARD_STOP_S),
        "workbench": Suite("workbench", workbench.run_workbench_suite, workbench.ALARM_S, workbench.HARD_STOP_S),
        "workbench-desk": Suite(
            "workbench-desk", first_paint.run_first_paint_suite, first_paint.ALARM_S, first_paint.HARD_STOP_S
        ),
    }


def main(names: list[str]) -> int:
    from bench.env import Results, assert_isolated, configure_environment, flush_redis, progress, recreate_database

    suites = [_suites()[name] for name in names]
    started = time.monotonic()
    results = Results()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_terminate)
    _arm(suites[0])  # the setup below counts against the first suite's budget

    env = configure_environment()
    progress(f"load average at start {_load()} on {os.cpu_count()} CPUs (the machine may be shared)")
    progress(f"database {env['DATABASE_URL']}, redis {env['REDIS_URL']}, settings {env['DJANGO_SETTINGS_MODULE']}")
    recreate_database()
    flush_redis()

    import django

    django.setup()
    assert_isolated()

    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    call_command("platform_setup")
    progress(f"shared schema migrated and platform set up in {time.perf_counter() - t0:.1f}s")

    failed = []
    for i, suite in enumerate(suites):
        if i:
            started = time.monotonic()
            _arm(suite)
        progress(f"=== suite {suite.name} (budget {suite.alarm_s}s) ===")
        try:
            suite.run(results, env, started)
        except BudgetExceeded as exc:
            progress(f"ABORTED: {exc}")
            failed.append(suite.name)
        except Exception:
            traceback.print_exc()
            progress(f"suite {suite.name} FAILED (traceback above)")
            failed.append(suite.name)
        finally:
            _disarm()
            _stop_subprocesses()
        progress(f"suite {suite.name} ended after {time.monotonic() - started:.1f}s; load average now {_load()}")
    if failed:
        progress(f"suites that did not finish: {', '.join(failed)}")
        return 2
    return 0


def _tenant_suite(results: Results, env: dict[str, str], started: float) -> None:
    from bench.env import progress

    deadline = started + BUDGET_S
    # Up to 45% of the budget to fill the platform, then half of what is left for the signups.
    _populate(started + BUDGET_S * 0.45)
    _provision_figures(results, env, deadline)
    _migrate_figures(results, env, deadline)

    progress(f"total run time {time.monotonic() - started:.1f}s; load average now {_load()}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _populate(deadline: float) -> None:
    """A platform with a hundred tenants: the signups and the no-op migration are measured on it."""
    from bench.env import progress
    from bench.population import autovacuum_enabled, checkpoint, create_tenants

    if not autovacuum_enabled():
        progress("autovacuum is off on this server: the catalogs are analyzed every 10 tenants in its place")
    t0 = time.perf_counter()
    durations = sorted(create_tenants(MIGRATE_TENANTS, deadline=deadline))
    progress(
        f"{len(durations)} tenants provisioned in-process in {time.perf_counter() - t0:.1f}s "
        f"(median {durations[len(durations) // 2]:.3f}s, slowest {durations[-1]:.3f}s each)"
    )
    t0 = time.perf_counter()
    checkpoint()
    progress(f"checkpoint after the population burst: {time.perf_counter() - t0:.1f}s")


def _provision_figures(results: Results, env: dict[str, str], deadline: float) -> None:
    from bench.env import progress
    from bench.provision import run_provision_bench

    provision_deadline = time.monotonic() + (deadline - time.monotonic()) / 2
    measured = run_provision_bench(env, count=SIGNUPS, deadline=provision_deadline)
    progress(
        f"{len(measured.totals_s)} signups: median {measured.median_s:.3f}s, p95 {measured.p95_s:.3f}s, "
        f"median submit call {sorted(measured.submits_s)[len(measured.submits_s) // 2]:.3f}s"
    )
    results.emit("tenant.provision_s", round(measured.median_s, 3), "s", 1.0)
    results.emit("tenant.provision_p95_s", round(measured.p95_s, 3), "s", None)


def _migrate_figures(results: Results, env: dict[str, str], deadline: float) -> None:
    from django.conf import settings
    from django_tenants.migration_executors.standard import StandardExecutor

    from bench import migrate
    from bench.env import progress
    from callcenter.core.migrations_fastpath import SkipCurrentExecutor

    settle_s = migrate.settle()
    progress(f"untimed migrate_schemas first, as a deploy would: {settle_s:.2f}s")
    schemas = migrate.tenant_schemas()
    template = settings.TENANT_TEMPLATE_SCHEMA
    watched = [settings.PUBLIC_SCHEMA_NAME, template, *schemas]
    if not migrate.all_current([template, *schemas]):
        raise RuntimeError("Some schema is behind after migrate_schemas; a no-op figure cannot be measured.")

    times = migrate.time_full_command(MIGRATE_RUNS, watched)
    progress(
        f"no-op migrate_schemas over public + {len(schemas)} tenant schemas (+ the template): "
        + ", ".join(f"{t * 1000:.0f}ms" for t in times)
    )
    results.emit("tenant.migrate_noop_ms_per_tenant", migrate.median_ms_per_schema(times, len(schemas)), "ms", 60)

    sample = schemas[:STANDARD_EXECUTOR_TENANTS]
    standard_s = migrate.time_executor(StandardExecutor, sample, watched)
    fast_s = migrate.time_executor(SkipCurrentExecutor, sample, watched)
    progress(
        f"executors over the same {len(sample)} tenant schemas: library StandardExecutor {standard_s * 1000:.0f}ms, "
        f"SkipCurrentExecutor {fast_s * 1000:.0f}ms"
    )
    results.emit(
        "tenant.migrate_noop_ms_per_tenant_standard_executor",
        migrate.median_ms_per_schema([standard_s], len(sample)),
        "ms",
        None,
    )

    if deadline - time.monotonic() > 60:
        cli_s = migrate.time_cli(env, timeout_s=min(120.0, deadline - time.monotonic()))
        progress(
            f"for reference, `manage.py migrate_schemas --noinput` as a deploy runs it: {cli_s:.2f}s "
            f"({cli_s * 1000 / len(schemas):.1f}ms per tenant schema, process start-up included)"
        )

    for label, options in (("migrate_schemas", {}), ("migrate_schemas --tenant", {"tenant": True})):
        if migrate.template_checked_by(**options):
            progress(f"`{label}` checks the template schema {template!r}: OK")
        else:
            progress(
                f"WARNING: `{label}` never looks at the template schema {template!r}: "
                "after a new tenant migration it stays behind until the next signup migrates it"
            )


def _run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make bench: one JSON line per figure on stdout.")
    names = list(_suites())
    parser.add_argument("--suite", choices=names, help="run only this suite (default: all, in order)")
    args = parser.parse_args(argv)
    try:
        return main([args.suite] if args.suite else names)
    except BudgetExceeded as exc:
        sys.stderr.write(f"[bench] ABORTED: {exc}\n")
        return 2
    finally:
        _disarm()
        _stop_subprocesses()


if __name__ == "__main__":
    sys.exit(_run())
