"""The web chat widget's socket, ``/ws/widget/?channel=<id>``: one browser tab of a shop's visitor.

The page's Origin must be the tenant's host or a site registered for this widget. The first
frame is ``hello`` with the visitor token; the conversation is always the visitor's own, found
from the token, never from an id the client sends. Frames and events: docs/realtime-events.md.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from callcenter.core.consumers import TokenAuthConsumer
from callcenter.core.errors import ServiceError
from channels_app.adapters.widget.config import widget_channel_get, widget_config_of, widget_origin_allowed
from channels_app.adapters.widget.selectors import visitor_conversation
from channels_app.adapters.widget.services import widget_chat_start, widget_message_send
from channels_app.adapters.widget.tokens import Visitor, visitor_token_read
from channels_app.models import Channel
from conversations import events
from conversations.events import conversation_group, message_payload
from conversations.models import Conversation, Direction, SenderType
from conversations.selectors import messages_since
from conversations.services import messages_mark_read

SYNC_PAGE = 200
# Group events a visitor may see. Anything else published to the conversation stays with staff.
VISITOR_EVENTS = frozenset({"message.created", "message.read", "typing", "conversation.resolved", "queue.position"})


class WidgetConsumer(TokenAuthConsumer):
    handlers: ClassVar[dict[str, str]] = {
        "hello": "on_hello",
        "chat.start": "on_chat_start",
        "message.send": "on_message_send",
        "typing": "on_typing",
        "read": "on_read",
        "sync": "on_sync",
        "ping": "on_ping",
    }
    channel: Channel | None = None
    visitor: Visitor | None = None
    conversation_id: int | None = None

    async def origin_allowed(self, origin: str) -> bool:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        self.channel = await self.db(widget_channel_get, (query.get("channel") or [""])[0])
        if self.channel is None:
            return False
        host = dict(self.scope.get("headers", [])).get(b"host", b"").decode("latin1")
        return widget_origin_allowed(self.channel, origin, host)

    async def authenticate(self, frame: dict[str, Any]) -> bool:
        self.visitor = await self.db(visitor_token_read, frame.get("token"), channel=self.channel)
        return self.visitor is not None

    def principal_key(self) -> str:
        return self.visitor.key if self.visitor else ""

    def _me(self) -> Visitor:
        assert self.visitor is not None  # handlers run only after hello was accepted
        return self.visitor

    async def _follow(self, conversation_id: int | None) -> None:
        """Listen to the visitor's current conversation only (a new one replaces a resolved one)."""
        if conversation_id == self.conversation_id:
            return
        if self.conversation_id is not None:
            old = conversation_group(self.tenant.pk, self.conversation_id)
            await self.channel_layer.group_discard(old, self.channel_name)
            self._groups.remove(old)
        if conversation_id is not None:
            group = conversation_group(self.tenant.pk, conversation_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self._groups.append(group)
        self.conversation_id = conversation_id

    async def on_hello(self, frame: dict[str, Any]) -> None:
        conversation = await self.db(visitor_conversation, self._me())
        await self._follow(conversation.pk if conversation else None)
        config = await self.db(widget_config_of, self.channel)
        await self.send_json(
            {
                "type": "ready",
                "payload": {
                    "conversation": conversation.pk if conversation else None,
                    "status": conversation.status if conversation else None,
                    "last_seq": conversation.last_seq if conversation else 0,
                    "config": config.public(),
                },
            }
        )
        if conversation is not None and "since" in frame:
            await self._send_since(frame.get("since"))

    async def on_sync(self, frame: dict[str, Any]) -> None:
        await self._send_since(frame.get("since"))

    async def _send_since(self, since: object) -> None:
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            await self.send_error("bad_frame", gettext("Send since as a whole number."))
            return
        conversation = await self.db(visitor_conversation, self._me())
        if conversation is None:
            await self.send_json({"type": "messages", "payload": {"conversation": None, "items": [], "more": False}})
            return
        await self._follow(conversation.pk)
        items = await self.db(_page, conversation, since)
        await self.send_json(
            {
                "type": "messages",
                "payload": {"conversation": conversation.pk, "items": items, "more": len(items) == SYNC_PAGE},
            }
        )

    async def on_chat_start(self, frame: dict[str, Any]) -> None:
        try:
            conversation, created = await self.db(
                widget_chat_start,
                visitor=self._me(),
                name=frame.get("name", ""),
                phone=frame.get("phone", ""),
                topic=frame.get("topic", ""),
            )
        except ValidationError as exc:
            await self._send_invalid(exc)
            return
        await self._follow(conversation.pk)
        await self.send_json(
            {
                "type": "chat.started",
                "payload": {"conversation": conversation.pk, "created": created, "last_seq": conversation.last_seq},
            }
        )

    async def on_message_send(self, frame: dict[str, Any]) -> None:
        ref = frame.get("client_msg_id", "")
        try:
            received = await self.db(
                widget_message_send,
                visitor=self._me(),
                body=frame.get("body", ""),
                attachments=frame.get("attachments"),
                client_msg_id=ref,
            )
        except ValidationError as exc:
            await self._send_invalid(exc, ref=ref)
            return
        except ServiceError as exc:
            await self.send_json({"type": "error", "code": exc.code, "detail": exc.message, "ref": ref})
            return
        await self._follow(received.message.conversation_id)
        await self.send_json({"type": "message.ack", "payload": message_payload(received.message)})

    async def on_typing(self, frame: dict[str, Any]) -> None:
        if self.conversation_id is not None:
            await events.typing(self.tenant.pk, self.conversation_id, SenderType.CUSTOMER, bool(frame.get("is_typing")))

    async def on_read(self, frame: dict[str, Any]) -> None:
        up_to = frame.get("up_to_seq")
        if self.conversation_id is None or not isinstance(up_to, int) or isinstance(up_to, bool):
            await self.send_error("bad_frame", gettext("Send up_to_seq as a whole number."))
            return
        await self.db(_mark_read, self.conversation_id, up_to)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def _send_invalid(self, exc: ValidationError, ref: object = "") -> None:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        detail = next(iter(errors.values()))[0] if errors else gettext("Invalid input.")
        await self.send_json({"type": "error", "code": "invalid", "detail": detail, "errors": errors, "ref": ref})

    async def realtime_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event not in VISITOR_EVENTS:
            return
        if event == "typing" and message["payload"].get("sender_type") == SenderType.CUSTOMER:
            return  # the visitor's own typing, echoed by the group
        await super().realtime_event(message)


def _page(conversation: Conversation, since: int) -> list[dict[str, Any]]:
    return [message_payload(m) for m in messages_since(conversation, since, SYNC_PAGE)]


def _mark_read(conversation_id: int, up_to_seq: int) -> None:
    conversation = Conversation.objects.get(pk=conversation_id)
    messages_mark_read(conversation=conversation, direction=Direction.OUTBOUND, up_to_seq=up_to_seq)
