"""The shop's APP socket, ``/ws/app/``: one signed-in APP user, live messages of their conversation.

A native APP sends no Origin and is let in; a page that sends one must be on the tenant's own
host. The first frame is ``hello`` with the APP user token (``POST /api/v1/app/user-tokens/``);
the conversation is always the user's own, found from the token, never from an id the client
sends. Messages are sent over REST (``POST /api/v1/app/me/messages/``), not over this socket.
When the user's first message opens a conversation, ``conversation.opened`` reaches their
sockets through a per-user group and they follow it. Frames and events: docs/realtime-events.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from callcenter.core.asgi import origin_allowed
from channels_app.adapters.app.events import app_user_group
from channels_app.adapters.app.selectors import app_user_conversation
from channels_app.consumers.customer import CustomerConsumer, conversation_by_id
from channels_app.selectors import channel_app_user_namespace
from channels_app.user_tokens import AppUserPrincipal, app_user_token_read

MAX_TOKEN_CHARS = 1000


class AppConsumer(CustomerConsumer):
    handlers: ClassVar[dict[str, str]] = {
        "hello": "on_hello",
        "ping": "on_ping",
        "sync": "on_sync",
        "read": "on_read",
        "typing": "on_typing",
    }
    principal: AppUserPrincipal | None = None
    namespace: str = ""

    async def origin_allowed(self, origin: str) -> bool:
        if not origin:
            return True  # a native APP: no browser, no cookies to ride on
        headers = {k.decode("latin1").lower(): v.decode("latin1") for k, v in self.scope.get("headers", [])}
        return origin_allowed(origin, headers.get("host", ""), set())

    async def authenticate(self, frame: dict[str, Any]) -> bool:
        token = frame.get("token")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            return False
        # Read inside the tenant's schema: the token is salted with it, so another tenant's fails.
        self.principal = await self.db(app_user_token_read, token)
        if self.principal is None:
            return False
        self.namespace = channel_app_user_namespace(self.principal.channel)
        return True

    def principal_key(self) -> str:
        me = self.principal
        return f"app:{me.channel.pk}:{me.app_user_id}" if me else ""

    def _me(self) -> AppUserPrincipal:
        assert self.principal is not None  # handlers run only after hello was accepted
        return self.principal

    async def on_hello(self, frame: dict[str, Any]) -> None:
        me = self._me()
        # Join before reading, so nothing falls between the read and the first live event.
        await self.join(app_user_group(self.tenant.pk, self.namespace, me.app_user_id))
        conversation = await self.db(app_user_conversation, self.namespace, me.app_user_id)
        await self.follow(conversation.pk if conversation else None)
        await self.send_json({"type": "ready", "payload": self.state_of(conversation)})
        if conversation is None or "since" not in frame:
            return
        # ``since`` counts in the conversation the client last saw; a different one starts at 0.
        since = frame.get("since")
        if frame.get("conversation") not in (None, conversation.pk):
            since = 0
        await self.send_since(conversation, since)

    async def on_sync(self, frame: dict[str, Any]) -> None:
        conversation = await self.db(conversation_by_id, self.conversation_id)
        await self.send_since(conversation, frame.get("since"))

    async def realtime_event(self, message: dict[str, Any]) -> None:
        if message["event"] == "conversation.opened":
            await self._on_conversation_opened(message["payload"])
            return
        await super().realtime_event(message)

    async def _on_conversation_opened(self, payload: dict[str, Any]) -> None:
        """Follow the new conversation, then send what it already holds (its first message may
        have been published before this socket joined its group)."""
        conversation_id = payload.get("conversation")
        if not isinstance(conversation_id, int) or conversation_id == self.conversation_id:
            return
        await self.follow(conversation_id)
        conversation = await self.db(conversation_by_id, conversation_id)
        if conversation is None:
            return
        await self.send_json(
            {
                "type": "conversation.opened",
                "payload": {"conversation": conversation.pk, "last_seq": conversation.last_seq},
            }
        )
        await self.send_since(conversation, 0)
