"""Helpers that make every key, group and query carry the tenant it belongs to."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import connection
from django_tenants.utils import get_public_schema_name

if TYPE_CHECKING:
    from tenants.models import Tenant

_GROUP_PART = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# Schema names the platform makes: stricter than PostgreSQL's, so they are safe anywhere in SQL.
_SAFE_SCHEMA = re.compile(r"^[a-z][a-z0-9_]{0,62}\Z")


class NoTenantError(RuntimeError):
    """Tenant-scoped code ran on the public schema."""


def current_schema() -> str:
    """The schema the default connection is set to (django-tenants adds the attribute)."""
    return str(getattr(connection, "schema_name", get_public_schema_name()))


def use_public_schema() -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def current_tenant() -> Tenant | None:
    """The tenant the connection is set to, or None on the public schema."""
    if current_schema() == get_public_schema_name():
        return None
    return getattr(connection, "tenant", None)


def require_tenant() -> Tenant:
    tenant = current_tenant()
    if tenant is None or not getattr(tenant, "pk", None):
        raise NoTenantError("This code must run inside a tenant's schema.")
    return tenant


def is_safe_schema_name(name: str) -> bool:
    return bool(_SAFE_SCHEMA.match(name))


def tenant_key(tenant_id: int, *parts: object) -> str:
    """A cache key that can never collide with another tenant's."""
    return ":".join([f"t{tenant_id}", *(str(p) for p in parts)])


def group_name(tenant_id: int, kind: str, obj_id: object = "all") -> str:
    """The one place channel-layer group names are built: ``t{tenant}.{kind}.{id}``."""
    obj = str(obj_id)
    if not _GROUP_PART.match(kind) or not _GROUP_PART.match(obj):
        raise ValueError(f"Invalid group name part: {kind!r}, {obj!r}")
    return f"t{tenant_id}.{kind}.{obj}"
