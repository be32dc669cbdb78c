"""The supervisor view: every agent's state and load, and the queues, in a fixed number of queries.

``routing.services.presence.agent_overview`` reads one agent in three queries; the view batches
the same reads for all agents (a test compares one agent with several). Tenant admins
(superusers) see every agent; a team lead sees the agents of the teams they lead; another staff
user who leads no team sees every agent, as the supervisors' socket group does.
"""

from __future__ import annotations

from typing import Any

from agents.models import AgentProfile, AgentState, AgentStatus, Team
from routing.selectors import agent_load_figures, queue_figures, shown_state


def supervised_agents(user: Any) -> list[AgentProfile]:
    """The active agents ``user`` oversees, with their team and state (and its reason)."""
    agents = AgentProfile.objects.filter(is_active=True).select_related("team", "status__reason")
    if not user.is_superuser:
        led = list(Team.objects.filter(lead_id=user.pk).values_list("pk", flat=True))
        if led:
            agents = agents.filter(team_id__in=led)
    return list(agents.order_by("display_name", "pk"))


def _status_of(agent: AgentProfile) -> AgentStatus | None:
    try:
        return agent.status
    except AgentStatus.DoesNotExist:  # an agent who never signed in has no row yet
        return None


def supervisor_view(user: Any) -> dict[str, Any]:
    agents = supervised_agents(user)
    figures = agent_load_figures([agent.pk for agent in agents])
    rows = []
    for agent in agents:
        status, load = _status_of(agent), figures[agent.pk]
        state = status.state if status else AgentState.OFFLINE
        rows.append(
            {
                "agent": agent.pk,
                "name": agent.display_name,
                "team": agent.team.name if agent.team else None,
                "state": state,
                "shown_state": shown_state(state, ringing=load.ringing, assigned=load.assigned),
                "reason": status.reason.code if status and status.reason else None,
                "since": status.changed_at.isoformat() if status else None,
                "after_work_until": status.after_work_until.isoformat() if status and status.after_work_until else None,
                "capacity": agent.capacity(),
                "load": load.load,
                "ringing": load.ringing,
            }
        )
    return {"agents": rows, "queues": queue_figures()}
