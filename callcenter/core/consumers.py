"""The base every WebSocket consumer builds on: tenant-bound database calls, limits, allow-list.

Concrete consumers live in channels_app/consumers/. They declare ``handlers``: a mapping from
an inbound frame ``type`` to a method. Frames of any other type are refused; names sent by
clients are never looked up as attributes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import structlog
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext
from django_tenants.utils import tenant_context

from callcenter.core.tenancy import tenant_key
from callcenter.core.throttle import within_rate

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

    async def db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` in a worker thread inside this connection's tenant schema."""

        def run() -> Any:
            with tenant_context(self.tenant):
                return fn(*args, **kwargs)

        return await database_sync_to_async(run)()

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
        if not await sync_to_async(self._within_shared_rate)():
            await self._reject("rate_limited_shared")
            return
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            await self.send_error("bad_json", gettext("Frames must be JSON objects."))
            return
        frame_type = frame.get("type") if isinstance(frame, dict) else None
        method_name = self.handlers.get(frame_type) if isinstance(frame_type, str) else None
        if method_name is None:
            log.info("ws.unknown_frame_type", frame_type=str(frame_type)[:40])
            await self.send_error("unknown_type", gettext("Unknown frame type."))
            return
        await getattr(self, method_name)(frame)

    def _within_rate(self) -> bool:
        now = time.monotonic()
        if now - self._window_start >= 10:
            self._window_start, self._frames_in_window = now, 0
        self._frames_in_window += 1
        return self._frames_in_window <= settings.WEBSOCKET_MAX_FRAMES_PER_10S

    def _within_shared_rate(self) -> bool:
        """Caps across all of a user's sockets, and across the whole tenant, counted in Redis."""
        user_id = getattr(self.user, "pk", None) or "anon"
        return within_rate(
            "ws-user",
            tenant_key(self.tenant.pk, user_id),
            limit=settings.WEBSOCKET_MAX_FRAMES_PER_USER_PER_10S,
            window_s=10,
        ) and within_rate(
            "ws-tenant",
            tenant_key(self.tenant.pk),
            limit=settings.WEBSOCKET_MAX_FRAMES_PER_TENANT_PER_10S,
            window_s=10,
        )

    async def _reject(self, reason: str, **detail: Any) -> None:
        log.warning("ws.rejected", reason=reason, user_id=getattr(self.user, "pk", None), **detail)
        await self.close(code=POLICY_VIOLATION)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """Forward an event published with callcenter.core.realtime to the client."""
        await self.send_json({"type": message["event"], "payload": message["payload"]})
