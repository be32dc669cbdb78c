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

from django.utils.translation import gettext

from callcenter.core.asgi import origin_allowed
from callcenter.core.consumers import TokenAuthConsumer
from channels_app.adapters.app.events import app_user_group
from channels_app.adapters.app.selectors import app_user_conversation
from channels_app.selectors import channel_app_user_namespace
from channels_app.user_tokens import AppUserPrincipal, app_user_token_read
from conversations import events
from conversations.events import conversation_group, message_payload
from conversations.models import Conversation, Direction, SenderType
from conversations.selectors import messages_since
from conversations.services import messages_mark_read

SYNC_PAGE = 200
MAX_TOKEN_CHARS = 1000
# Group events an APP user may see; anything else published to the conversation stays with staff.
APP_EVENTS = frozenset({"message.created", "message.read", "typing", "conversation.resolved", "queue.position"})


class AppConsumer(TokenAuthConsumer):
    handlers: ClassVar[dict[str, str]] = {
        "hello": "on_hello",
        "ping": "on_ping",
        "sync": "on_sync",
        "read": "on_read",
        "typing": "on_typing",
    }
    principal: AppUserPrincipal | None = None
    namespace: str = ""
    conversation_id: int | None = None

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

    async def _join(self, group: str) -> None:
        if group not in self._groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self._groups.append(group)

    async def _follow(self, conversation_id: int | None) -> None:
        """Listen to the user's current conversation only (a new one replaces a resolved one)."""
        if conversation_id == self.conversation_id:
            return
        if self.conversation_id is not None:
            old = conversation_group(self.tenant.pk, self.conversation_id)
            await self.channel_layer.group_discard(old, self.channel_name)
            self._groups.remove(old)
        if conversation_id is not None:
            await self._join(conversation_group(self.tenant.pk, conversation_id))
        self.conversation_id = conversation_id

    async def on_hello(self, frame: dict[str, Any]) -> None:
        me = self._me()
        # Join before reading, so nothing falls between the read and the first live event.
        await self._join(app_user_group(self.tenant.pk, self.namespace, me.app_user_id))
        conversation = await self.db(app_user_conversation, self.namespace, me.app_user_id)
        await self._follow(conversation.pk if conversation else None)
        await self.send_json(
            {
                "type": "ready",
                "payload": {
                    "conversation": conversation.pk if conversation else None,
                    "status": conversation.status if conversation else None,
                    "last_seq": conversation.last_seq if conversation else 0,
                },
            }
        )
        if conversation is None or "since" not in frame:
            return
        # ``since`` counts in the conversation the client last saw; a different one starts at 0.
        since = frame.get("since")
        if frame.get("conversation") not in (None, conversation.pk):
            since = 0
        await self._send_since(conversation, since)

    async def on_sync(self, frame: dict[str, Any]) -> None:
        conversation = await self.db(_conversation, self.conversation_id)
        await self._send_since(conversation, frame.get("since"))

    async def _send_since(self, conversation: Conversation | None, since: object) -> None:
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            await self.send_error("bad_frame", gettext("Send since as a whole number."))
            return
        items = await self.db(_page, conversation, since) if conversation else []
        await self.send_json(
            {
                "type": "messages",
                "payload": {
                    "conversation": conversation.pk if conversation else None,
                    "items": items,
                    "more": len(items) == SYNC_PAGE,
                },
            }
        )

    async def on_read(self, frame: dict[str, Any]) -> None:
        up_to = frame.get("up_to_seq")
        if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to < 0:
            await self.send_error("bad_frame", gettext("Send up_to_seq as a whole number."))
            return
        if self.conversation_id is None:
            await self.send_error("no_conversation", gettext("There is no conversation yet."))
            return
        await self.db(_mark_read, self.conversation_id, up_to)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        if self.conversation_id is not None:
            await events.typing(self.tenant.pk, self.conversation_id, SenderType.CUSTOMER, bool(frame.get("is_typing")))

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def realtime_event(self, message: dict[str, Any]) -> None:
        event, payload = message["event"], message["payload"]
        if event == "conversation.opened":
            await self._on_conversation_opened(payload)
            return
        if event not in APP_EVENTS:
            return
        if event == "typing" and payload.get("sender_type") == SenderType.CUSTOMER:
            return  # the user's own typing, echoed by the group
        await super().realtime_event(message)

    async def _on_conversation_opened(self, payload: dict[str, Any]) -> None:
        """Follow the new conversation, then send what it already holds (its first message may
        have been published before this socket joined its group)."""
        conversation_id = payload.get("conversation")
        if not isinstance(conversation_id, int) or conversation_id == self.conversation_id:
            return
        await self._follow(conversation_id)
        conversation = await self.db(_conversation, conversation_id)
        if conversation is None:
            return
        await self.send_json(
            {
                "type": "conversation.opened",
                "payload": {"conversation": conversation.pk, "last_seq": conversation.last_seq},
            }
        )
        await self._send_since(conversation, 0)


def _conversation(conversation_id: int | None) -> Conversation | None:
    if conversation_id is None:
        return None
    return Conversation.objects.filter(pk=conversation_id).first()


def _page(conversation: Conversation, since: int) -> list[dict[str, Any]]:
    return [message_payload(m) for m in messages_since(conversation, since, SYNC_PAGE)]


def _mark_read(conversation_id: int, up_to_seq: int) -> None:
    conversation = Conversation.objects.get(pk=conversation_id)
    messages_mark_read(conversation=conversation, direction=Direction.OUTBOUND, up_to_seq=up_to_seq)
