"""Filling the benchmark database with tenants, quickly and the way production would end up."""

from __future__ import annotations

import time

from bench.env import progress

PASSWORD = "Str0ng-pass-2026!"

# The catalogs a schema clone reads and grows. Their planner statistics go stale as tenants are
# added; autovacuum would analyze them, but this PostgreSQL may run with autovacuum off, and then
# each clone gets slower (on this machine 0.3s with fresh statistics, 0.85s with stale ones at
# a hundred tenants, and worse as the catalogs keep growing).
CATALOGS = (
    "pg_class",
    "pg_attribute",
    "pg_depend",
    "pg_constraint",
    "pg_type",
    "pg_namespace",
    "pg_index",
    "pg_attrdef",
    "pg_sequence",
    "pg_proc",
    "pg_trigger",
    "pg_description",
    "pg_inherits",
    "pg_rewrite",
)


def autovacuum_enabled() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0] == "on"


def analyze_catalogs() -> None:
    """What autovacuum does for the catalogs as tenants are added (the benchmark database only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(f"pg_catalog.{name}" for name in CATALOGS))


def checkpoint() -> None:
    """Write out the burst of catalog pages a hundred back-to-back clones leave dirty, so the signups
    measured next pay for their own writes and not for the whole population's (PostgreSQL would
    spread this over its next checkpoints; a platform gains tenants over months, not minutes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def create_tenants(count: int, *, deadline: float, prefix: str = "bench", analyze_every: int = 10) -> list[float]:
    """Provision ``count`` tenants in-process through the service (fewer if ``deadline``, a
    time.monotonic() value, comes first); returns each one's seconds."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from tenants.models import Plan, Signup, SignupStatus
    from tenants.services.provisioning import signup_provision

    password_hash = make_password(PASSWORD)  # hashed once: filling the database is not about PBKDF2
    plan = Plan.objects.get(code="growth")
    durations: list[float] = []
    for i in range(count):
        if time.monotonic() > deadline:
            progress(f"time budget for tenants spent: {i} of {count} provisioned")
            break
        subdomain = f"{prefix}{i:03d}"
        started = time.perf_counter()
        signup = Signup.objects.create(
            company_name=f"Bench {i:03d}",
            subdomain=subdomain,
            admin_email=f"admin@{subdomain}.bench.example.com",
            admin_password_hash=password_hash,
            plan=plan,
        )
        signup = signup_provision(signup_id=str(signup.pk))
        if signup.status != SignupStatus.ACTIVE:
            raise RuntimeError(f"Provisioning {subdomain} failed: {signup.failure_reason}")
        durations.append(time.perf_counter() - started)
        # A fresh connection per tenant, as the worker's connections are recycled (CONN_MAX_AGE): a
        # PostgreSQL backend that has touched a hundred freshly made schemas caches their catalogs,
        # and rebuilding that cache after every clone's DDL soon costs seconds a query.
        connection.close()
        if analyze_every and (i + 1) % analyze_every == 0:
            analyze_catalogs()
        if (i + 1) % 25 == 0:
            recent = sorted(durations[-25:])
            progress(f"{i + 1}/{count} tenants provisioned (median of the last 25: {recent[12]:.3f}s)")
    analyze_catalogs()
    return durations
