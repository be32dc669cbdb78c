"""A migrate_schemas executor that skips schemas already up to date, and migrates the template.

django-tenants runs Django's full migrate command in every schema, about a quarter of a
second each even when there is nothing to do. One query on a schema's django_migrations
tells whether it already has every migration; only the schemas that lack one are migrated.
The tenant template schema (settings.TENANT_TEMPLATE_SCHEMA) is migrated with the tenants,
so new tenants cloned from it are always current. See docs/adr/0003.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors import get_executor as library_get_executor
from django_tenants.migration_executors.standard import StandardExecutor
from django_tenants.utils import schema_exists

from callcenter.core.tenancy import is_safe_schema_name

# Options that change what migrate does; with any of them every schema goes through Django.
_FULL_RUN_OPTIONS = ("app_label", "migration_name", "fake", "fake_initial", "plan", "prune", "check_unapplied")


@cache
def expected_tenant_migrations() -> frozenset[tuple[str, str]]:
    """Every (app, migration) a tenant schema must have applied."""
    labels = {cfg.label for cfg in apps.get_app_configs() if cfg.name in settings.TENANT_APPS}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(key for key in loader.graph.nodes if key[0] in labels)


def applied_migrations(schema_name: str) -> set[tuple[str, str]]:
    if not is_safe_schema_name(schema_name):
        raise ValueError(f"Invalid schema name {schema_name!r}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return set()
        # The name passed the platform's strict schema-name check above.
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')  # noqa: S608
        return {(app, name) for app, name in cursor.fetchall()}


def is_up_to_date(schema_name: str) -> bool:
    return expected_tenant_migrations() <= applied_migrations(schema_name)


class SkipCurrentExecutor(StandardExecutor):
    codename = "skip-current"

    def run_migrations(self, tenants: Any = None) -> None:
        schemas = list(tenants or [])
        template = settings.TENANT_TEMPLATE_SCHEMA
        # A run over all tenants (plain `migrate_schemas` or `--tenant`) also migrates the template.
        all_tenants = not self.options.get("schema_name") and not self.options.get("shared")
        if (
            all_tenants
            and self.PUBLIC_SCHEMA_NAME not in schemas
            and template not in schemas
            and schema_exists(template)
        ):
            schemas.append(template)
        if any(self.options.get(option) for option in _FULL_RUN_OPTIONS):
            super().run_migrations(tenants=schemas)
            return
        behind = [s for s in schemas if s == self.PUBLIC_SCHEMA_NAME or not is_up_to_date(s)]
        skipped = len(schemas) - len(behind)
        if skipped and int(self.options.get("verbosity", 1)) >= 1:
            self.stdout_write(f"{skipped} schema(s) already up to date, skipped.")
        if behind:
            super().run_migrations(tenants=behind)

    @staticmethod
    def stdout_write(message: str) -> None:
        import sys

        sys.stdout.write(f"[skip-current] {message}\n")


def get_executor(codename: str | None = None) -> type:
    if codename in (None, "", SkipCurrentExecutor.codename, "standard"):
        return SkipCurrentExecutor
    return library_get_executor(codename)
