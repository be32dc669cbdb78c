"""The desk's pages under /desk/: the agent's workbench, the screen-pop fragment, the supervisor view.

The pages render their first state on the server (so the agent sees their state and offers
before the socket is up) and hand the rest to the JavaScript modules in static/workbench/,
which talk to the same APIs and the staff socket as any other client.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agents.models import AgentProfile, NotReadyReason
from agents.selectors import is_agent
from callcenter.core.tenancy import require_tenant
from routing.models import Queue
from routing.services.presence import agent_desk
from tickets.models import Category, Priority, Status
from workbench.desk_strings import desk_strings
from workbench.people import person_name
from workbench.screen_pop import screen_pop, screen_pop_customer
from workbench.screen_pop_view import screen_pop_context


def _boot(request: HttpRequest) -> dict[str, Any]:
    """What the desk's JavaScript starts from; the socket's hello refreshes the live parts."""
    user = request.user
    agent = is_agent(user)
    return {
        "user": {"id": user.pk, "name": person_name(user), "is_agent": agent, "is_staff": bool(user.is_staff)},
        "desk": agent_desk(user) if agent else {"agent": None, "offers": []},
        "reasons": [{"code": r.code, "name": str(r)} for r in NotReadyReason.objects.filter(is_system=False)],
        "queues": [{"id": q.pk, "name": str(q)} for q in Queue.objects.order_by("-priority", "code")],
        "agents": [
            {"id": a.pk, "name": a.display_name or a.user.get_username()}
            for a in AgentProfile.objects.filter(is_active=True).exclude(user_id=user.pk or 0).select_related("user")
        ],
        "categories": [{"code": c.code, "name": str(c)} for c in Category.objects.filter(is_active=True)],
        "priorities": [{"code": value, "name": str(label)} for value, label in Priority.choices],
        "statuses": [{"code": value, "name": str(label)} for value, label in Status.choices],
        "strings": desk_strings(),
    }


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/desk.html", {"tenant": require_tenant(), "boot": _boot(request)})


@login_required
@require_GET
def screen_pop_fragment(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The screen pop as HTML, swapped into the desk's side panel."""
    if not (request.user.is_staff or is_agent(request.user)):
        raise Http404
    customer = screen_pop_customer(customer_id)
    if customer is None:
        raise Http404
    try:
        current = int(request.GET.get("conversation") or 0) or None
    except ValueError:
        current = None
    pop = screen_pop(customer, current_conversation_id=current)
    return render(request, "workbench/_screen_pop.html", screen_pop_context(pop, current))


@login_required
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        return render(request, "workbench/not_supervisor.html", {"tenant": require_tenant()}, status=403)
    boot = {"user": {"id": request.user.pk, "name": person_name(request.user)}, "strings": desk_strings()}
    return render(request, "workbench/supervisor.html", {"tenant": require_tenant(), "boot": boot})
