"""The base every WebSocket consumer builds on: tenant-bound database calls, limits, allow-list.

Concrete consumers live in channels_app/consumers/. They declare ``handlers``: a mapping from
an inbound frame ``type`` to a method. Frames of any other type are refused; names sent by
clients are never looked up as attributes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import structlog
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext
from django_tenants.utils import tenant_context

from callcenter.core.tenancy import tenant_key
from callcenter.core.throttle import within_rates

log = structlog.get_logger(__name__)

POLICY_VIOLATION = 1008
Handler = Callable[[Any, dict[str, Any]], Awaitable[None]]


class TenantConsumer(AsyncWebsocketConsumer):
    handlers: ClassVar[dict[str, str]] = {}
    require_login: ClassVar[bool] = True

    async def connect(self) -> None:
        self.tenant = self.scope["tenant"]
        self.user = self.scope["user"]
        self._window_start = time.monotonic()
        self._frames_in_window = 0
        self._groups: list[str] = []
        structlog.contextvars.bind_contextvars(tenant=self.tenant.schema_name)
        if self.require_login and not self.user.is_authenticated:
            log.warning("ws.refused_anonymous", path=self.scope.get("path"))
            await self.close(code=4401)
            return
        if not await self.authorize():
            await self.close(code=4403)
            return
        for group in await self.groups_to_join():
            await self.channel_layer.group_add(group, self.channel_name)
            self._groups.append(group)
        await self.accept()
        await self.on_connected()

    async def disconnect(self, code: int) -> None:
        for group in self._groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    # Hooks for subclasses.
    async def authorize(self) -> bool:
        return True

    async def groups_to_join(self) -> list[str]:
        return []

    async def on_connected(self) -> None:
        return None

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, minus its ``close_old_connections`` before every message.

        Channels runs that on the process's one thread-sensitive thread, so every frame and
        every group event (a typing indicator, a new message for an agent) queued behind all
        database work of all sockets. Our consumers reach the database only through ``db``,
        which closes stale connections in the thread it runs in.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` in a worker thread inside this connection's tenant schema.

        Not thread-sensitive: each call is self-contained (its own transaction, its own
        ``tenant_context``), so calls of different sockets run side by side on the executor's
        threads, each with its own database connection, instead of one after another.
        """

        def run() -> Any:
            with tenant_context(self.tenant):
                return fn(*args, **kwargs)

        return await database_sync_to_async(run, thread_sensitive=False)()

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def send_error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.WEBSOCKET_MAX_FRAME_BYTES:
            await self._reject("frame_too_large", size=size)
            return
        if not self._within_rate():
            await self._reject("rate_limited")
            return
        if not await sync_to_async(self._within_shared_rate, thread_sensitive=False)():
            await self._reject("rate_limited_shared")
            return
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            await self.send_error("bad_json", gettext("Frames must be JSON objects."))
            return
        frame_type = frame.get("type") if isinstance(frame, dict) else None
        method_name = self.handlers.get(frame_type) if isinstance(frame_type, str) else None
        if method_name is None or not isinstance(frame_type, str):
            log.info("ws.unknown_frame_type", frame_type=str(frame_type)[:40])
            await self.send_error("unknown_type", gettext("Unknown frame type."))
            return
        await self.dispatch_frame(frame_type, method_name, frame)

    async def dispatch_frame(self, frame_type: str, method_name: str, frame: dict[str, Any]) -> None:
        await getattr(self, method_name)(frame)

    def rate_keys(self) -> list[tuple[str, str, int]]:
        """(scope, key, limit per 10 s) of the shared counters this socket's frames count against."""
        user_id = getattr(self.user, "pk", None) or "anon"
        return [("ws-user", tenant_key(self.tenant.pk, user_id), settings.WEBSOCKET_MAX_FRAMES_PER_USER_PER_10S)]

    def _within_rate(self) -> bool:
        now = time.monotonic()
        if now - self._window_start >= 10:
            self._window_start, self._frames_in_window = now, 0
        self._frames_in_window += 1
        return self._frames_in_window <= settings.WEBSOCKET_MAX_FRAMES_PER_10S

    def _within_shared_rate(self) -> bool:
        """Caps across all of a user's sockets, and across the whole tenant, counted in Redis."""
        checks = [
            *self.rate_keys(),
            ("ws-tenant", tenant_key(self.tenant.pk), settings.WEBSOCKET_MAX_FRAMES_PER_TENANT_PER_10S),
        ]
        return within_rates(checks, window_s=10)

    async def _reject(self, reason: str, **detail: Any) -> None:
        log.warning("ws.rejected", reason=reason, user_id=getattr(self.user, "pk", None), **detail)
        await self.close(code=POLICY_VIOLATION)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """Forward an event published with callcenter.core.realtime to the client."""
        await self.send_json({"type": message["event"], "payload": message["payload"]})


class TokenAuthConsumer(TenantConsumer):
    """A socket whose client proves who it is with a signed token in its first frame, not a cookie.

    The web widget and the APP use it. The middleware loads no session for these paths and
    leaves the Origin check to ``origin_allowed``: the consumer knows the channel and the sites
    registered for it. Until ``authenticate`` accepts the first frame (``auth_frame_type``),
    every other frame closes the socket with 4401, and so does silence for ``AUTH_TIMEOUT_S``.
    """

    require_login = False
    auth_frame_type: ClassVar[str] = "hello"
    AUTH_TIMEOUT_S: ClassVar[float] = 10.0
    authenticated: bool = False

    async def authorize(self) -> bool:
        if not await self.origin_allowed(self.scope.get("origin", "")):
            log.warning("ws.refused_origin", path=self.scope.get("path"), origin=self.scope.get("origin", "")[:200])
            return False
        return True

    async def origin_allowed(self, origin: str) -> bool:
        raise NotImplementedError

    async def on_connected(self) -> None:
        self._auth_deadline = asyncio.get_running_loop().call_later(
            self.AUTH_TIMEOUT_S, lambda: asyncio.ensure_future(self._close_unauthenticated())
        )

    async def _close_unauthenticated(self) -> None:
        if not self.authenticated:
            log.info("ws.auth_timeout", path=self.scope.get("path"))
            await self.close(code=4401)

    async def disconnect(self, code: int) -> None:
        deadline = getattr(self, "_auth_deadline", None)
        if deadline is not None:
            deadline.cancel()
        await super().disconnect(code)

    async def dispatch_frame(self, frame_type: str, method_name: str, frame: dict[str, Any]) -> None:
        if frame_type == self.auth_frame_type:
            if self.authenticated:
                await self.send_error("already_authenticated", gettext("This socket is already signed in."))
                return
            if not await self.authenticate(frame):
                log.warning("ws.bad_token", path=self.scope.get("path"))
                await self.close(code=4401)
                return
            self.authenticated = True
            self._auth_deadline.cancel()
        elif not self.authenticated:
            await self.close(code=4401)
            return
        await super().dispatch_frame(frame_type, method_name, frame)

    async def send_error(self, code: str, detail: str) -> None:
        if not self.authenticated:  # bad JSON or an unknown type as the first frame: not a client of ours
            log.warning("ws.bad_first_frame", path=self.scope.get("path"), code=code)
            await self.close(code=4401)
            return
        await super().send_error(code, detail)

    async def authenticate(self, frame: dict[str, Any]) -> bool:
        """Check the first frame's token; keep what it proves on ``self``. False closes with 4401."""
        raise NotImplementedError

    def client_ip(self) -> str:
        client = self.scope.get("client") or ("", 0)
        return str(client[0])

    def rate_keys(self) -> list[tuple[str, str, int]]:
        """One visitor's sockets share a budget once known; before that, and always, so does one address."""
        keys = [("ws-ip", tenant_key(self.tenant.pk, self.client_ip()), settings.WEBSOCKET_MAX_FRAMES_PER_IP_PER_10S)]
        principal = self.principal_key()
        if principal:
            keys.append(
                ("ws-principal", tenant_key(self.tenant.pk, principal), settings.WEBSOCKET_MAX_FRAMES_PER_USER_PER_10S)
            )
        return keys

    def principal_key(self) -> str:
        """Who the token said this is (e.g. ``visitor:<id>``); empty before authentication."""
        return ""
