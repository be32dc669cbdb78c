"""Readiness checks: can this process reach the database and Redis?"""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # a probe reports, it never raises
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def readiness() -> dict[str, dict[str, Any]]:
    return {"database": _timed(_database), "redis": _timed(_redis)}
