"""The staff stream: a signed-in tenant user's live account events (seats, suspension).

Frames from the client: ``ping``, ``seats.get``, and for agents and admins
``conversation.subscribe`` / ``conversation.unsubscribe`` / ``typing``. Events to the client:
``hello``, ``pong``, ``seats``, ``seats.changed``, ``seats.limit_changed``, ``subscribed``,
the subscribed conversations' ``message.created`` / ``message.read`` / ``typing`` /
``conversation.resolved``, and ``tenant.suspended`` (the socket then closes).
See docs/realtime-events.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext

from agents.selectors import is_agent, seats_in_use
from agents.services.seats import seat_touch
from callcenter.core.consumers import TenantConsumer
from callcenter.core.tenancy import current_schema, group_name
from conversations import events
from conversations.events import conversation_group
from conversations.models import Conversation, SenderType
from tenants.selectors import seat_limit_for

# One agent works a handful of chats at once; a supervisor may watch more.
MAX_FOLLOWED_CONVERSATIONS = 100


class StaffConsumer(TenantConsumer):
    handlers: ClassVar[dict[str, str]] = {
        "ping": "on_ping",
        "seats.get": "on_seats_get",
        "conversation.subscribe": "on_subscribe",
        "conversation.unsubscribe": "on_unsubscribe",
        "typing": "on_typing",
    }

    async def groups_to_join(self) -> list[str]:
        return [group_name(self.tenant.pk, "staff"), group_name(self.tenant.pk, "user", self.user.pk)]

    async def on_connected(self) -> None:
        self.is_agent = await self.db(is_agent, self.user)
        self.may_chat = self.is_agent or bool(self.user.is_staff)
        self.following: set[int] = set()
        await self.send_json(
            {
                "type": "hello",
                "payload": {
                    "tenant": self.tenant.subdomain,
                    "schema": await self.db(_current_schema),
                    "user": self.user.get_username(),
                    "is_agent": self.is_agent,
                    **await self.db(self._seats),
                },
            }
        )

    def _seats(self) -> dict[str, int]:
        return {"seats_in_use": seats_in_use(), "seat_limit": seat_limit_for(self.tenant)}

    async def on_ping(self, frame: dict[str, Any]) -> None:
        if self.is_agent:
            await self.db(seat_touch, user=self.user)
        await self.send_json({"type": "pong"})

    async def on_seats_get(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "seats", "payload": await self.db(self._seats)})

    async def on_subscribe(self, frame: dict[str, Any]) -> None:
        """Follow a conversation's events; the client then resyncs with GET .../messages/?since=."""
        conversation_id = await self._conversation_from(frame)
        if conversation_id is None:
            return
        if conversation_id not in self.following:
            if len(self.following) >= MAX_FOLLOWED_CONVERSATIONS:
                await self.send_error("too_many", gettext("Unsubscribe from a conversation first."))
                return
            group = conversation_group(self.tenant.pk, conversation_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self._groups.append(group)
            self.following.add(conversation_id)
        last_seq = await self.db(_last_seq, conversation_id)
        await self.send_json({"type": "subscribed", "payload": {"conversation": conversation_id, "last_seq": last_seq}})

    async def on_unsubscribe(self, frame: dict[str, Any]) -> None:
        conversation_id = frame.get("conversation")
        if isinstance(conversation_id, int) and conversation_id in self.following:
            group = conversation_group(self.tenant.pk, conversation_id)
            await self.channel_layer.group_discard(group, self.channel_name)
            self._groups.remove(group)
            self.following.discard(conversation_id)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        conversation_id = frame.get("conversation")
        if isinstance(conversation_id, int) and conversation_id in self.following:
            await events.typing(self.tenant.pk, conversation_id, SenderType.AGENT, bool(frame.get("is_typing", True)))

    async def _conversation_from(self, frame: dict[str, Any]) -> int | None:
        conversation_id = frame.get("conversation")
        if not self.may_chat:
            await self.send_error("forbidden", gettext("Only agents and admins follow conversations."))
            return None
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            await self.send_error("bad_frame", gettext("Send the conversation id as a number."))
            return None
        if await self.db(_last_seq, conversation_id) is None:
            await self.send_error("not_found", gettext("No such conversation."))
            return None
        return conversation_id

    async def realtime_event(self, message: dict[str, Any]) -> None:
        await super().realtime_event(message)
        if message["event"] == "tenant.suspended":
            await self.close(code=4403)


def _current_schema() -> str:
    return str(current_schema())


def _last_seq(conversation_id: int) -> int | None:
    return Conversation.objects.filter(pk=conversation_id).values_list("last_seq", flat=True).first()
