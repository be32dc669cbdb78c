"""SLA policies on tickets: deadlines in business time, pauses, warnings, breaches and escalation.

A ticket gets the first active policy (in order) whose tiers include its customer's tier, or
that names no tier. The policy's target for the ticket's priority sets two clocks: the first
response (stopped by the first public reply) and the resolution (stopped by resolving; paused
while the ticket waits for the customer, and while it is resolved before a reopen). The
deadlines and the next moment the sweep has something to do are stored on the ticket, so the
beat sweep (``tickets.tasks.sla_sweep`` through the per-tenant dispatcher) reads one index.

Warnings go to the assignee (the team lead when nobody is assigned). A breach escalates once:
the priority goes up a level and the team lead and the supervisors are told.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.realtime import publish_on_commit
from callcenter.core.tenancy import group_name, require_tenant
from customers.models import Customer
from tickets.domain import sla as clocks
from tickets.domain.workflow import CLOSED, RESOLVED, WAITING_CUSTOMER
from tickets.models import BusinessCalendar, Priority, SlaPolicy, SlaTarget, Ticket
from tickets.services.history import history_record

log = structlog.get_logger(__name__)

SWEEP_BATCH = 500
ESCALATION = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}
SLA_FIELDS = [
    "sla_policy",
    "first_response_due",
    "resolution_due",
    "sla_paused_at",
    "sla_paused_seconds",
    "sla_done",
    "sla_next_check_at",
]


# --- calendars and policies -----------------------------------------------------------------


def _clock_time(text: str) -> time:
    return time.max if text == "24:00" else time.fromisoformat(text)


def calendar_of(stored: BusinessCalendar) -> clocks.Calendar:
    """The stored calendar as the pure one (raises ValueError for a malformed week)."""
    week = [[(_clock_time(start), _clock_time(end)) for start, end in day] for day in stored.week]
    return clocks.Calendar(
        timezone=stored.timezone,
        week=week,
        holidays=frozenset(stored.holidays),
        make_up_days=frozenset(stored.make_up_days),
    )


def calendar_problem(week: object, timezone_name: object) -> str | None:
    """Why a calendar's stored week or time zone would not work (a translated sentence), or None."""
    try:
        ZoneInfo(str(timezone_name))
    except (ValueError, ZoneInfoNotFoundError):
        return _("Unknown time zone; use a name like Asia/Shanghai.")
    if not isinstance(week, list) or len(week) != 7:
        return _("Give seven days of working hours, Monday first.")
    try:
        stored = BusinessCalendar(week=week, timezone=str(timezone_name))
        calendar_of(stored)
    except (TypeError, ValueError):
        return _('Each day is a list of ["HH:MM", "HH:MM"] intervals, in order and not overlapping.')
    if not any(week):
        return _("A calendar needs some working time.")
    return None


def sla_policy_for(customer: Customer) -> SlaPolicy | None:
    for policy in SlaPolicy.objects.filter(is_active=True).select_related("calendar").prefetch_related("tiers"):
        tier_ids = {tier.pk for tier in policy.tiers.all()}
        if not tier_ids or customer.tier_id in tier_ids:
            return policy
    return None


def _target(ticket: Ticket) -> SlaTarget | None:
    if ticket.sla_policy_id is None:
        return None
    return SlaTarget.objects.filter(policy_id=ticket.sla_policy_id, priority=ticket.priority).first()


def _clocks(ticket: Ticket, target: SlaTarget, calendar: clocks.Calendar) -> list[clocks.Clock]:
    """The clocks still running on the ticket."""
    policy = ticket.sla_policy
    assert policy is not None
    warn_s = policy.warn_before_minutes * 60.0
    running: list[clocks.Clock] = []
    if ticket.first_responded_at is None and ticket.status not in (RESOLVED, CLOSED):
        running.append(
            clocks.clock(
                clocks.FIRST_RESPONSE, ticket.created_at, target.first_response_minutes * 60.0, warn_s, calendar
            )
        )
    if ticket.status not in (RESOLVED, CLOSED):
        running.append(
            clocks.clock(
                clocks.RESOLUTION,
                ticket.created_at,
                target.resolution_minutes * 60.0,
                warn_s,
                calendar,
                ticket.sla_paused_seconds,
            )
        )
    return running


def _due_checks(ticket: Ticket, running: list[clocks.Clock]) -> list[clocks.Clock]:
    """The clocks the sweep watches: a paused resolution clock has nothing coming due."""
    return [item for item in running if not (item.name == clocks.RESOLUTION and ticket.sla_paused_at)]


def sla_refresh(ticket: Ticket) -> list[str]:
    """Recompute the deadlines and the next check on ``ticket`` (not saved); returns the fields to save.

    Called after anything the clocks depend on changed: the policy, the priority, the status,
    the first response. While paused, the resolution clock is left out of the next check.
    """
    target = _target(ticket)
    if target is None:
        ticket.first_response_due = ticket.resolution_due = ticket.sla_next_check_at = None
        return SLA_FIELDS
    assert ticket.sla_policy is not None
    running = _clocks(ticket, target, calendar_of(ticket.sla_policy.calendar))
    by_name = {item.name: item for item in running}
    # A stopped clock keeps its last deadline, for reports ("answered 2 h before it was due").
    if clocks.FIRST_RESPONSE in by_name:
        ticket.first_response_due = by_name[clocks.FIRST_RESPONSE].due
    if clocks.RESOLUTION in by_name:
        ticket.resolution_due = by_name[clocks.RESOLUTION].due
    ticket.sla_next_check_at = clocks.next_check(_due_checks(ticket, running), ticket.sla_done)
    return SLA_FIELDS


def sla_start(ticket: Ticket) -> list[str]:
    """A new ticket: choose its policy and start its clocks (not saved)."""
    ticket.sla_policy = sla_policy_for(ticket.customer)
    return sla_refresh(ticket)


def sla_on_status(ticket: Ticket, old: str, new: str, now: datetime) -> list[str]:
    """Pause the resolution clock while waiting for the customer or resolved; resume it after."""
    pausing = {WAITING_CUSTOMER, RESOLVED}
    if new in pausing and old not in pausing and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    elif new not in pausing and ticket.sla_paused_at is not None:
        if ticket.sla_policy is not None:
            calendar = calendar_of(ticket.sla_policy.calendar)
            ticket.sla_paused_seconds += clocks.business_seconds_between(ticket.sla_paused_at, now, calendar)
        ticket.sla_paused_at = None
    return sla_refresh(ticket)


def sla_first_response_record(*, ticket: Ticket, at: datetime) -> None:
    """The team's first public reply stops the first-response clock (later replies change nothing)."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy__calendar").get(pk=ticket.pk)
        if locked.first_responded_at is not None:
            return
        locked.first_responded_at = at
        fields = sla_refresh(locked)
        locked.save(update_fields=["first_responded_at", *fields])


# --- the sweep ------------------------------------------------------------------------------


def _recipients(ticket: Ticket) -> dict[str, list[int]]:
    lead_id = ticket.team.lead_id if ticket.team is not None else None
    return {"assignee": [ticket.assignee_id] if ticket.assignee_id else [], "lead": [lead_id] if lead_id else []}


def _sla_payload(ticket: Ticket, step: str) -> dict[str, Any]:
    return {
        "ticket": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "priority": ticket.priority,
        "step": step,
        "first_response_due": ticket.first_response_due.isoformat() if ticket.first_response_due else None,
        "resolution_due": ticket.resolution_due.isoformat() if ticket.resolution_due else None,
    }


def _warn(ticket: Ticket, step: str) -> None:
    who = _recipients(ticket)
    tenant_id = require_tenant().pk
    for user_id in who["assignee"] or who["lead"]:
        publish_on_commit(group_name(tenant_id, "user", user_id), "ticket.sla_warning", _sla_payload(ticket, step))
    history_record(ticket, "system", "sla_warning", "sla", None, step)


def _breach(ticket: Ticket, step: str, now: datetime) -> list[str]:
    fields = ["sla_breached"]
    ticket.sla_breached = True
    history_record(ticket, "system", "sla_breached", "sla", None, step)
    if ticket.escalated_at is None:
        raised = ESCALATION[Priority(ticket.priority)]
        if raised != ticket.priority:
            history_record(ticket, "system", "escalated", "priority", ticket.priority, raised)
            ticket.priority = raised
        ticket.escalated_at = now
        fields += ["priority", "escalated_at"]
        tenant_id = require_tenant().pk
        payload = _sla_payload(ticket, step)
        who = _recipients(ticket)
        for user_id in {*who["lead"], *who["assignee"]}:
            publish_on_commit(group_name(tenant_id, "user", user_id), "ticket.escalated", payload)
        publish_on_commit(group_name(tenant_id, "supervisors"), "ticket.escalated", payload)
    return fields


def _sweep_one(ticket_id: int, now: datetime) -> list[str]:
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("sla_policy__calendar", "team")
            .filter(pk=ticket_id, sla_next_check_at__lte=now)
            .first()
        )
        if ticket is None:
            return []  # another sweep has it, or it changed meanwhile
        target = _target(ticket)
        if target is None or ticket.sla_policy is None:
            ticket.sla_next_check_at = None
            ticket.save(update_fields=["sla_next_check_at"])
            return []
        running = _due_checks(ticket, _clocks(ticket, target, calendar_of(ticket.sla_policy.calendar)))
        steps = clocks.steps_due(running, ticket.sla_done, now)
        fields: list[str] = []
        for step in steps:
            if step.endswith(clocks.BREACHED):
                fields += _breach(ticket, step, now)
            else:
                _warn(ticket, step)
        ticket.sla_done = [*ticket.sla_done, *steps]
        ticket.sla_next_check_at = clocks.next_check(running, ticket.sla_done)
        ticket.save(update_fields=[*dict.fromkeys(fields), "sla_done", "sla_next_check_at"])
    return steps


def sla_sweep(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """Send the warnings and record the breaches that are due. Safe to run twice, or in parallel."""
    now = now or timezone.now()
    due = list(
        Ticket.objects.filter(sla_next_check_at__lte=now)
        .order_by("sla_next_check_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"checked": len(due), "warned": 0, "breached": 0}
    for ticket_id in due:
        for step in _sweep_one(ticket_id, now):
            counts["breached" if step.endswith(clocks.BREACHED) else "warned"] += 1
    if due:
        log.info("tickets.sla_sweep", **counts)
    return counts
