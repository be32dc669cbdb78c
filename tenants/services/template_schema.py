"""The template schema new tenants are cloned from, and the clone itself (docs/adr/0003)."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from callcenter.core.migrations_fastpath import is_up_to_date
from callcenter.core.tenancy import is_safe_schema_name, use_public_schema

_TEMPLATE_LOCK_KEY = 7_310_001  # pg advisory lock id: one process builds the template at a time


def template_ensure_current() -> None:
    """Create or migrate the template schema unless it already has every migration."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    if schema_exists(template) and is_up_to_date(template):
        return
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_TEMPLATE_LOCK_KEY])
    try:
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{template}"')
        if not is_up_to_date(template):
            call_command("migrate_schemas", schema_name=template, tenant=True, interactive=False, verbosity=0)
    finally:
        use_public_schema()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_TEMPLATE_LOCK_KEY])


def schema_clone_from_template(schema_name: str) -> None:
    """Copy the template's tables and rows (migrations, content types, permissions) to a new schema."""
    if not is_safe_schema_name(schema_name):
        raise ValueError(f"Refusing unsafe schema name {schema_name!r}")
    CloneSchema().clone_schema(settings.TENANT_TEMPLATE_SCHEMA, schema_name, "DATA")


def schema_drop(schema_name: str) -> None:
    if not is_safe_schema_name(schema_name) or schema_name in ("public", settings.TENANT_TEMPLATE_SCHEMA):
        raise ValueError(f"Refusing to drop schema {schema_name!r}")
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
