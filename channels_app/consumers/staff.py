"""The staff stream: a signed-in tenant user's live account events (seats, suspension).

Frames from the client: ``ping`` and ``seats.get``. Events to the client: ``hello``,
``pong``, ``seats``, ``seats.changed``, ``seats.limit_changed``, ``tenant.suspended``
(the socket then closes). See docs/realtime-events.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agents.selectors import is_agent, seats_in_use
from agents.services.seats import seat_touch
from callcenter.core.consumers import TenantConsumer
from callcenter.core.tenancy import current_schema, group_name
from tenants.selectors import seat_limit_for


class StaffConsumer(TenantConsumer):
    handlers: ClassVar[dict[str, str]] = {"ping": "on_ping", "seats.get": "on_seats_get"}

    async def groups_to_join(self) -> list[str]:
        return [group_name(self.tenant.pk, "staff"), group_name(self.tenant.pk, "user", self.user.pk)]

    async def on_connected(self) -> None:
        self.is_agent = await self.db(is_agent, self.user)
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

    async def realtime_event(self, message: dict[str, Any]) -> None:
        await super().realtime_event(message)
        if message["event"] == "tenant.suspended":
            await self.close(code=4403)


def _current_schema() -> str:

    return str(current_schema())
