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

from callcenter.core.errors import ServiceError
from channels_app.adapters.widget.config import widget_channel_get, widget_config_of, widget_origin_allowed
from channels_app.adapters.widget.selectors import visitor_conversation
from channels_app.adapters.widget.services import widget_chat_start, widget_message_send
from channels_app.adapters.widget.tokens import Visitor, visitor_token_read
from channels_app.consumers.customer import CustomerConsumer
from channels_app.models import Channel
from conversations.events import message_payload


class WidgetConsumer(CustomerConsumer):
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

    async def on_hello(self, frame: dict[str, Any]) -> None:
        conversation = await self.db(visitor_conversation, self._me())
        await self.follow(conversation.pk if conversation else None)
        config = await self.db(widget_config_of, self.channel)
        await self.send_json({"type": "ready", "payload": {**self.state_of(conversation), "config": config.public()}})
        if conversation is not None and "since" in frame:
            await self.send_since(conversation, frame.get("since"))

    async def on_sync(self, frame: dict[str, Any]) -> None:
        conversation = await self.db(visitor_conversation, self._me())
        await self.follow(conversation.pk if conversation else None)
        await self.send_since(conversation, frame.get("since"))

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
        await self.follow(conversation.pk)
        await self.send_json(
            {
                "type": "chat.started",
                "payload": {"conversation": conversation.pk, "created": created, "last_seq": conversation.last_seq},
            }
        )

    async def on_message_send(self, frame: dict[str, Any]) -> None:
        ref = frame.get("client_msg_id", "")
        try:
            conversation_id, stored = await self.db(
                _send, self._me(), frame.get("body", ""), frame.get("attachments"), ref
            )
        except ValidationError as exc:
            await self._send_invalid(exc, ref=ref)
            return
        except ServiceError as exc:
            await self.send_json({"type": "error", "code": exc.code, "detail": exc.message, "ref": ref})
            return
        await self.follow(conversation_id)
        await self.send_json({"type": "message.ack", "payload": stored})

    async def _send_invalid(self, exc: ValidationError, ref: object = "") -> None:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        detail = next(iter(errors.values()))[0] if errors else gettext("Invalid input.")
        await self.send_json({"type": "error", "code": "invalid", "detail": detail, "errors": errors, "ref": ref})


def _send(visitor: Visitor, body: object, attachments: object, ref: object) -> tuple[int, dict[str, Any]]:
    """Store the message and describe it in the same worker thread (a repeat loads it from the database)."""
    message = widget_message_send(visitor=visitor, body=body, attachments=attachments, client_msg_id=ref).message
    return message.conversation_id, message_payload(message)
