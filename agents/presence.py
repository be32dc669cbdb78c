"""Which agents have a live staff socket, from the sockets' heartbeats (Redis, not the database).

Each socket adds itself to its agent's sorted set with the time of its last heartbeat. An agent
is present while at least one socket beat within AGENT_HEARTBEAT_TIMEOUT_S; routing sets agents
who are not present offline after a grace period (routing.services.presence), so a closed
laptop never leaves an agent "available" with offers ringing into the void.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from callcenter.core.throttle import redis_client


def _key(tenant_id: int, agent_id: int) -> str:
    return f"presence:t{tenant_id}:a{agent_id}"


def presence_beat(*, tenant_id: int, agent_id: int, connection: str) -> None:
    client: Any = redis_client()
    if client is None:
        return
    key = _key(tenant_id, agent_id)
    pipe = client.pipeline(transaction=False)
    pipe.zadd(key, {connection: time.time()})
    pipe.expire(key, settings.AGENT_HEARTBEAT_TIMEOUT_S * 4)
    pipe.execute()


def presence_leave(*, tenant_id: int, agent_id: int, connection: str) -> None:
    client: Any = redis_client()
    if client is not None:
        client.zrem(_key(tenant_id, agent_id), connection)


def presence_absent(*, tenant_id: int, agent_ids: list[int]) -> list[int]:
    """Those of ``agent_ids`` with no socket that beat recently: one Redis round trip for all."""
    client: Any = redis_client()
    if client is None or not agent_ids:
        return []
    cutoff = time.time() - settings.AGENT_HEARTBEAT_TIMEOUT_S
    pipe = client.pipeline(transaction=False)
    for agent_id in agent_ids:
        pipe.zremrangebyscore(_key(tenant_id, agent_id), "-inf", cutoff)
        pipe.zcard(_key(tenant_id, agent_id))
    counts = pipe.execute()[1::2]
    return [agent_id for agent_id, live in zip(agent_ids, counts, strict=True) if not live]


def presence_live_sockets(*, tenant_id: int, agent_id: int) -> int:
    """How many of the agent's sockets beat recently. Without Redis every agent counts as present."""
    client: Any = redis_client()
    if client is None:
        return 1
    key = _key(tenant_id, agent_id)
    pipe = client.pipeline(transaction=False)
    pipe.zremrangebyscore(key, "-inf", time.time() - settings.AGENT_HEARTBEAT_TIMEOUT_S)
    pipe.zcard(key)
    return int(pipe.execute()[1])
