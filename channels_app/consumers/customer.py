"""What the customer's sockets (web widget, APP) share: following their one conversation, resync, read, typing.

The conversation is always the customer's own, found from their token by the subclass; an id
a client sends is never trusted. Only events meant for customers are forwarded.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from callcenter.core.consumers import TokenAuthConsumer
from conversations import events
from conversations.events import conversation_group, message_payload
from conversations.models import Conversation, Direction, SenderType
from conversations.selectors import messages_since
from conversations.services import messages_mark_read

SYNC_PAGE = 200
# Group events a customer may see. Anything else published to the conversation stays with staff.
CUSTOMER_EVENTS = frozenset(
    {"message.created", "message.read", "typing", "conversation.resolved", "queue.position", "contact.assigned"}
)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class CustomerConsumer(TokenAuthConsumer):
    conversation_id: int | None = None

    async def join(self, group: str) -> None:
        if group not in self._groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self._groups.append(group)

    async def follow(self, conversation_id: int | None) -> None:
        """Listen to the customer's current conversation only (a new one replaces a resolved one)."""
        if conversation_id == self.conversation_id:
            return
        if self.conversation_id is not None:
            old = conversation_group(self.tenant.pk, self.conversation_id)
            await self.channel_layer.group_discard(old, self.channel_name)
            self._groups.remove(old)
        if conversation_id is not None:
            await self.join(conversation_group(self.tenant.pk, conversation_id))
        self.conversation_id = conversation_id

    @staticmethod
    def state_of(conversation: Conversation | None) -> dict[str, Any]:
        return {
            "conversation": conversation.pk if conversation else None,
            "status": conversation.status if conversation else None,
            "last_seq": conversation.last_seq if conversation else 0,
        }

    async def send_since(self, conversation: Conversation | None, since: object) -> None:
        """The conversation's messages after ``since``, a page at a time (``more`` says ask again)."""
        if not _whole(since):
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
        if not _whole(up_to):
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
        event = message["event"]
        if event not in CUSTOMER_EVENTS:
            return
        if event == "typing" and message["payload"].get("sender_type") == SenderType.CUSTOMER:
            return  # the customer's own typing, echoed by the group
        await super().realtime_event(message)


def conversation_by_id(conversation_id: int | None) -> Conversation | None:
    if conversation_id is None:
        return None
    return Conversation.objects.filter(pk=conversation_id).first()


def _page(conversation: Conversation, since: int) -> list[dict[str, Any]]:
    return [message_payload(m) for m in messages_since(conversation, since, SYNC_PAGE)]


def _mark_read(conversation_id: int, up_to_seq: int) -> None:
    conversation = Conversation.objects.get(pk=conversation_id)
    messages_mark_read(conversation=conversation, direction=Direction.OUTBOUND, up_to_seq=up_to_seq)
