"""One routing writer per tenant at a time."""

from __future__ import annotations

from django.db import connection

from callcenter.core.tenancy import current_schema


def routing_lock() -> None:
    """Hold the tenant's routing lock until the transaction ends. Other tenants are not held up.

    A round takes a few milliseconds, so serialising them costs little; letting two rounds
    read the same free agent would cost a double offer.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"routing:{current_schema()}"])


def routing_lock_try() -> bool:
    """Take the lock if it is free now; False if another writer holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"routing:{current_schema()}"])
        return bool(cursor.fetchone()[0])
