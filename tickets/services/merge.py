"""Merging a duplicate ticket into another of the same customer.

The duplicate is closed and points at the ticket it was merged into; its conversations and tags
move over, its comments stay where they were written and show in the surviving ticket's
timeline (``tickets.selectors``). Both histories say who merged what.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from customers.services.identity import same_person
from tickets.domain.workflow import CLOSED
from tickets.models import TagSource, Ticket, TicketTag
from tickets.services.history import history_record
from tickets.services.sla import SLA_FIELDS


class MergeRefused(ConflictError):
    code = "merge_refused"


def _check(source: Ticket, target: Ticket) -> None:
    if source.pk == target.pk:
        raise MergeRefused(_("A ticket cannot be merged into itself."))
    if source.merged_into_id is not None:
        raise MergeRefused(_("Ticket #%(number)d was already merged.") % {"number": source.number})
    if target.merged_into_id is not None or target.status == CLOSED:
        raise MergeRefused(_("Ticket #%(number)d is closed; merge into an open ticket.") % {"number": target.number})
    if not same_person(source.customer, target.customer):
        raise MergeRefused(_("Only tickets of the same customer can be merged."))


def ticket_merge(*, source: Ticket, target: Ticket, actor: Any) -> Ticket:
    """Merge ``source`` (the duplicate) into ``target``; returns the surviving ticket."""
    with transaction.atomic():
        # Lock both rows in one order, so two opposite merges cannot deadlock.
        locked = {
            ticket.pk: ticket
            for ticket in Ticket.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        dup, kept = locked[source.pk], locked[target.pk]
        _check(dup, kept)
        kept.conversations.add(*dup.conversations.all())
        for tag in TicketTag.objects.filter(ticket=dup):
            existing = TicketTag.objects.filter(ticket=kept, name=tag.name).first()
            if existing is None:
                TicketTag.objects.create(ticket=kept, name=tag.name, source=tag.source, confidence=tag.confidence)
            elif existing.source != TagSource.MANUAL and tag.source == TagSource.MANUAL:
                existing.source, existing.confidence = TagSource.MANUAL, 1.0
                existing.save(update_fields=["source", "confidence"])
        if not kept.order_ref and dup.order_ref:
            kept.order_ref = dup.order_ref
        kept.save(update_fields=["order_ref", "updated_at"])
        old_status = dup.status
        now = timezone.now()
        dup.merged_into, dup.status, dup.closed_at, dup.sla_next_check_at = kept, CLOSED, now, None
        dup.save(update_fields=["merged_into", "status", "closed_at", "updated_at", *SLA_FIELDS])
        history_record(dup, actor, "merged", "merged_into", None, kept.number)
        history_record(dup, actor, "status", "status", old_status, CLOSED)
        history_record(kept, actor, "merged_from", "merged", None, dup.number)
    return kept
