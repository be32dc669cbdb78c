"""What routing needs to know of every agent (skills, pools, capacity), cached per process.

Routing reads it on every round, for up to thousands of agents; it changes only when an admin
edits an agent. A per-tenant version in Redis (a random token, replaced after any such change
commits) tells every process when its copy is stale: a round costs one Redis GET instead of
three queries over every agent. Without Redis nothing is cached. Changes made with
``QuerySet.update`` send no signal: call ``profiles_changed`` after them.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from agents.models import AgentProfile, AgentSkill
from callcenter.core.tenancy import current_schema
from callcenter.core.throttle import redis_client


@dataclass(frozen=True)
class AgentProfileFacts:
    user_id: int
    name: str
    skills: dict[str, int]
    pools: frozenset[str]
    capacity: dict[str, int]
    voice_blocks_chat: bool


_lock = threading.Lock()
_cache: dict[str, tuple[bytes, dict[int, AgentProfileFacts]]] = {}


def _version_key(schema: str) -> str:
    return f"agents:profile-version:{schema}"


def profiles_changed() -> None:
    """Call after a change to agents' skills, pools or capacity; takes effect when it commits."""
    schema = current_schema()

    def bump() -> None:
        client: Any = redis_client()
        if client is not None:
            client.set(_version_key(schema), uuid.uuid4().hex)

    transaction.on_commit(bump)


def _load() -> dict[int, AgentProfileFacts]:
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for agent_id, code, level in AgentSkill.objects.filter(agent__is_active=True).values_list(
        "agent_id", "skill__code", "level"
    ):
        skills[agent_id][code] = level
    pools: dict[int, set[str]] = defaultdict(set)
    for agent_id, code in AgentProfile.pools.through.objects.filter(agentprofile__is_active=True).values_list(
        "agentprofile_id", "pool__code"
    ):
        pools[agent_id].add(code)
    rows = AgentProfile.objects.filter(is_active=True).values_list(
        "pk", "user_id", "display_name", "chat_capacity", "voice_capacity", "voice_blocks_chat"
    )
    return {
        pk: AgentProfileFacts(user_id, name, skills[pk], frozenset(pools[pk]), {"chat": chats, "voice": calls}, blocks)
        for pk, user_id, name, chats, calls, blocks in rows
    }


def agent_profiles() -> dict[int, AgentProfileFacts]:
    """Every active agent's routing facts, from this process's copy while it is current."""
    client: Any = redis_client()
    if client is None:
        return _load()
    schema = current_schema()
    key = _version_key(schema)
    # A token, not a counter: if Redis loses the key, a fresh token never matches an old copy.
    client.set(key, uuid.uuid4().hex, nx=True)
    version = client.get(key)
    with _lock:
        cached = _cache.get(schema)
    if cached is not None and cached[0] == version:
        return cached[1]
    loaded = _load()
    with _lock:
        _cache[schema] = (version, loaded)
    return loaded
