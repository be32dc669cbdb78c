"""Real-time events about agents and seats, and exactly who receives them (docs/realtime-events.md)."""

from __future__ import annotations

from agents.models import AgentStatus
from callcenter.core.realtime import publish_on_commit
from callcenter.core.tenancy import group_name, require_tenant


def seats_changed(tenant_id: int, seats_in_use: int) -> None:
    publish_on_commit(group_name(tenant_id, "staff"), "seats.changed", {"seats_in_use": seats_in_use})


def agent_state_changed(status: AgentStatus) -> None:
    """To the agent's own sockets and to supervisors' (an agent who is also staff gets both copies)."""
    tenant = require_tenant()
    agent = status.agent
    payload = {
        "agent": agent.pk,
        "user": agent.user_id,
        "name": agent.display_name,
        "state": status.state,
        "reason": status.reason.code if status.reason else None,
        "since": status.changed_at.isoformat(),
        "after_work_until": status.after_work_until.isoformat() if status.after_work_until else None,
    }
    publish_on_commit(group_name(tenant.pk, "user", agent.user_id), "agent.state", payload)
    publish_on_commit(group_name(tenant.pk, "supervisors"), "agent.state", payload)
