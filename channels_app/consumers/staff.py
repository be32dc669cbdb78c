"""The staff stream: a signed-in tenant user's live account events (seats, suspension), and
for agents the routing desk: state, offers, presence.

Frames from the client: ``ping`` (also the agent's presence heartbeat), ``seats.get``, for
agents and admins ``conversation.subscribe`` / ``conversation.unsubscribe`` / ``typing``, and
for agents ``agent.get``, ``agent.state.set``, ``offer.accept``, ``offer.decline``. Events to
the client: ``hello``, ``pong``, ``seats``, ``seats.changed``, ``seats.limit_changed``,
``subscribed``, the subscribed conversations' events, ``agent.state``, ``agent``,
``offer.created`` / ``offer.withdrawn`` / ``offer.accepted``, ``queue.changed``, and
``tenant.suspended`` (the socket then closes). See docs/realtime-events.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from agents.presence import presence_beat, presence_leave
from agents.selectors import is_agent, seats_in_use
from agents.services.seats import seat_touch
from callcenter.core.consumers import TenantConsumer
from callcenter.core.errors import ServiceError
from callcenter.core.tenancy import current_schema, group_name
from conversations import events
from conversations.events import conversation_group
from conversations.models import Conversation, SenderType
from routing.services.offers import offer_accept, offer_decline
from routing.services.presence import agent_desk, agent_state_choose
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
        "agent.get": "on_agent_get",
        "agent.state.set": "on_agent_state_set",
        "offer.accept": "on_offer_accept",
        "offer.decline": "on_offer_decline",
    }

    async def groups_to_join(self) -> list[str]:
        groups = [group_name(self.tenant.pk, "staff"), group_name(self.tenant.pk, "user", self.user.pk)]
        if self.user.is_staff:  # supervisors and admins watch agents' states and the queues
            groups.append(group_name(self.tenant.pk, "supervisors"))
        return groups

    async def on_connected(self) -> None:
        self.is_agent = await self.db(is_agent, self.user)
        self.may_chat = self.is_agent or bool(self.user.is_staff)
        self.following: set[int] = set()
        self.agent_id: int | None = None
        desk: dict[str, Any] = {}
        if self.is_agent:
            desk = await self.db(agent_desk, self.user)
            self.agent_id = desk["agent"]["agent"]
            await self.db(self._beat)
        await self.send_json(
            {
                "type": "hello",
                "payload": {
                    "tenant": self.tenant.subdomain,
                    "schema": await self.db(_current_schema),
                    "user": self.user.get_username(),
                    "is_agent": self.is_agent,
                    **await self.db(self._seats),
                    **desk,
                },
            }
        )

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if getattr(self, "agent_id", None) is not None:
            await self.db(self._leave)

    def _beat(self) -> None:
        if self.agent_id is not None:
            presence_beat(tenant_id=self.tenant.pk, agent_id=self.agent_id, connection=self.channel_name)

    def _leave(self) -> None:
        from routing.tasks import check_presence

        assert self.agent_id is not None
        presence_leave(tenant_id=self.tenant.pk, agent_id=self.agent_id, connection=self.channel_name)
        # The agent may be reloading the page: decide after the grace period.
        check_presence.apply_async(kwargs={"agent_id": self.agent_id}, countdown=settings.AGENT_OFFLINE_GRACE_S)

    def _seats(self) -> dict[str, int]:
        return {"seats_in_use": seats_in_use(), "seat_limit": seat_limit_for(self.tenant)}

    async def on_ping(self, frame: dict[str, Any]) -> None:
        if self.is_agent:
            await self.db(seat_touch, user=self.user)
            await self.db(self._beat)
        await self.send_json({"type": "pong"})

    async def on_agent_get(self, frame: dict[str, Any]) -> None:
        if await self._agent_only():
            await self.send_json({"type": "agent", "payload": await self.db(agent_desk, self.user)})

    async def on_agent_state_set(self, frame: dict[str, Any]) -> None:
        state, reason = frame.get("state"), frame.get("reason") or ""
        if not await self._agent_only():
            return
        if not isinstance(state, str) or not isinstance(reason, str):
            await self.send_error("bad_frame", gettext("Send the state and reason as text."))
            return
        await self._call(agent_state_choose, user=self.user, state=state, reason_code=reason)

    async def on_offer_accept(self, frame: dict[str, Any]) -> None:
        await self._offer_answer(frame, offer_accept)

    async def on_offer_decline(self, frame: dict[str, Any]) -> None:
        await self._offer_answer(frame, offer_decline)

    async def _offer_answer(self, frame: dict[str, Any], answer: Any) -> None:
        offer_id = frame.get("offer")
        if not await self._agent_only():
            return
        if not isinstance(offer_id, int) or isinstance(offer_id, bool):
            await self.send_error("bad_frame", gettext("Send the offer id as a number."))
            return
        await self._call(answer, offer_id=offer_id, user=self.user)

    async def _agent_only(self) -> bool:
        if not self.is_agent:
            await self.send_error("forbidden", gettext("Only agents take offers and set a state."))
        return self.is_agent

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        """Run a service; its refusal goes back to the client as an error frame."""
        try:
            await self.db(fn, *args, **kwargs)
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message)
        except ValidationError as exc:
            await self.send_error("invalid", " ".join(exc.messages))

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
