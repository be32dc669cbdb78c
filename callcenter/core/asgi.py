"""Tenancy for WebSockets: Host -> tenant, Origin check, and the session user, all in one step.

django-tenants only covers HTTP. This middleware resolves the tenant from the Host header,
refuses origins other than the tenant's own host or an origin registered for the tenant, and
loads the session and user inside that tenant's schema, in the same worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, cast
from urllib.parse import urlsplit

import structlog
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import import_string
from django_tenants.utils import get_public_schema_name, tenant_context

from callcenter.core.middleware import SESSION_TENANT_KEY

log = structlog.get_logger(__name__)


@dataclass
class ResolvedConnection:
    tenant: Any
    user: Any
    session_key: str | None


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin1").lower(): v.decode("latin1") for k, v in scope.get("headers", [])}


def _hostname(host_header: str) -> str:
    return host_header.split(":", 1)[0].strip().lower().rstrip(".")


def origin_allowed(origin: str, host_header: str, registered: set[str]) -> bool:
    """Same origin as the tenant's host, or one of the tenant's registered origins. Nothing else."""
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if parts.netloc.lower() == host_header.strip().lower():
        return True
    return f"{parts.scheme}://{parts.netloc.lower()}" in registered


class _SessionRequest:
    """The little of a request that django.contrib.auth.get_user reads."""

    def __init__(self, session: Any) -> None:
        self.session = session


def resolve(
    host_header: str, origin: str, session_key: str | None, *, token_auth: bool = False
) -> ResolvedConnection | None:
    """Runs in a worker thread: every query here is made in the right schema.

    ``token_auth`` sockets (the web widget, the APP) never use the session cookie: the client
    proves who it is with a signed token in its first frame. The origin check exists to stop
    other sites riding on a browser's cookies, so for these sockets it moves to the consumer,
    which knows the channel and its registered sites (a native APP sends no Origin at all).
    """
    from tenants.selectors import tenant_get_by_host, tenant_registered_origins

    tenant = tenant_get_by_host(_hostname(host_header))
    if tenant is None or tenant.schema_name == get_public_schema_name():
        log.warning("ws.refused_unknown_host", host=host_header)
        return None
    if tenant.status != "active":
        log.warning("ws.refused_inactive_tenant", tenant=tenant.schema_name, status=tenant.status)
        return None
    if token_auth:
        return ResolvedConnection(tenant=tenant, user=AnonymousUser(), session_key=None)
    if not origin_allowed(origin, host_header, tenant_registered_origins(tenant)):
        log.warning("ws.refused_origin", tenant=tenant.schema_name, origin=origin)
        return None
    user: Any = AnonymousUser()
    with tenant_context(tenant):
        if session_key:
            store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
            candidate = get_user(cast(Any, _SessionRequest(store)))  # checks the session auth hash too
            if candidate.is_authenticated and store.get(SESSION_TENANT_KEY) == tenant.schema_name:
                user = candidate
    return ResolvedConnection(tenant=tenant, user=user, session_key=session_key)


class TenantWebsocketMiddleware:
    def __init__(self, inner: Any, *, token_auth_paths: tuple[str, ...] = ()) -> None:
        self.inner = inner
        self.token_auth_paths = token_auth_paths

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        headers = _headers(scope)
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is treated as no cookie
            cookies = SimpleCookie()
        morsel = cookies.get(settings.SESSION_COOKIE_NAME)
        session_key = morsel.value if morsel else None
        origin = headers.get("origin", "")
        token_auth = scope.get("path", "") in self.token_auth_paths
        resolved = await database_sync_to_async(resolve, thread_sensitive=False)(
            headers.get("host", ""), origin, None if token_auth else session_key, token_auth=token_auth
        )
        if resolved is None:
            return await WebsocketDenier()(scope, receive, send)
        scope = dict(scope, tenant=resolved.tenant, user=resolved.user, session_key=resolved.session_key, origin=origin)
        return await self.inner(scope, receive, send)
