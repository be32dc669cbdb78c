"""The benchmark's own database, Redis database and key prefixes, and a stdout kept for results only."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

BENCH_DB = "callcenter_bench"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_REDIS_URL = "redis://127.0.0.1:6379/12"

# Forced, not defaulted: whatever the caller's shell exports, the benchmark never touches
# the development database `callcenter`, the test one, or their Redis databases.
BENCH_ENV: dict[str, str] = {
    "DJANGO_SETTINGS_MODULE": "callcenter.settings.dev",
    "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}",
    "REDIS_URL": BENCH_REDIS_URL,
    "CELERY_BROKER_URL": BENCH_REDIS_URL,
    "CACHE_KEY_PREFIX": "cc-bench",
    "CHANNEL_LAYER_PREFIX": "cc-bench-asgi",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
}


def configure_environment() -> dict[str, str]:
    """Set the benchmark's environment in this process; returns it, for the worker subprocess."""
    os.environ.update(BENCH_ENV)
    if settings_override := os.environ.get("BENCH_SETTINGS_MODULE"):
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_override
    return dict(os.environ)


def recreate_database() -> None:
    """Drop and create the benchmark database so every run starts from nothing."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def flush_redis() -> None:
    """Empty the benchmark's Redis database: no task or cache key left from an earlier run."""
    import redis

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def assert_isolated() -> None:
    """Refuse to run against anything but the benchmark's database and Redis database."""
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if name != BENCH_DB:
        raise RuntimeError(f"Refusing to benchmark on database {name!r}; expected {BENCH_DB!r}.")
    if settings.CELERY_BROKER_URL != BENCH_REDIS_URL or settings.CACHES["default"]["LOCATION"] != BENCH_REDIS_URL:
        raise RuntimeError("Refusing to benchmark: the broker or cache is not the benchmark's Redis database.")


class Results:
    """Holds the real stdout for the JSON lines; everything else written to stdout goes to stderr.

    Django commands, structlog and the Celery worker all write to file descriptor 1, so it is
    pointed at stderr for the whole run and the results go to a duplicate of the original.
    """

    def __init__(self) -> None:
        sys.stdout.flush()
        self._out: TextIO = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def emit(self, metric: str, value: float, unit: str, target: float | None) -> None:
        record: dict[str, Any] = {"metric": metric, "value": value, "unit": unit, "target": target}
        self._out.write(json.dumps(record) + "\n")
        self._out.flush()
        progress(f"RESULT {metric} = {value} {unit} (target {target})")


def progress(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()
