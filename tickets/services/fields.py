"""Changing a ticket's fields (subject, priority, category, assignee, team, order) and its tags,
each change recorded in the ticket's history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agents.models import Team
from agents.selectors import is_agent
from tickets.models import Category, Priority, TagSource, Ticket, TicketTag
from tickets.services.history import history_record
from tickets.services.sla import sla_refresh
from tickets.services.tickets import clean_subject

TAG_MAX = 40
TAGS_PER_TICKET = 30
EDITABLE = ("subject", "priority", "category", "assignee", "team", "order_ref")


def _as_history(value: Any) -> Any:
    """A field's value as the history stores it: ids for references, plain values otherwise."""
    return getattr(value, "pk", value)


def _checked(field: str, value: Any) -> Any:
    if field == "subject":
        return clean_subject(value)
    if field == "priority":
        if value not in Priority.values:
            raise ValidationError({"priority": [_("Unknown priority.")]})
        return value
    if field == "category":
        if value is not None and (not isinstance(value, Category) or not value.is_active):
            raise ValidationError({"category": [_("Choose an active category.")]})
        return value
    if field == "assignee":
        if value is not None and not (isinstance(value, get_user_model()) and is_agent(value)):
            raise ValidationError({"assignee": [_("Tickets can only be assigned to an active agent.")]})
        return value
    if field == "team":
        if value is not None and not isinstance(value, Team):
            raise ValidationError({"team": [_("Unknown team.")]})
        return value
    if field == "order_ref":
        text = str(value or "").strip()
        if len(text) > 64:
            raise ValidationError({"order_ref": [_("At most %(max)d characters.") % {"max": 64}]})
        return text
    raise ValidationError({field: [_("This field cannot be changed here.")]})


def ticket_update(*, ticket: Ticket, actor: Any, changes: dict[str, Any]) -> Ticket:
    """Apply ``changes`` (field name -> new value; model instances for references) all or none."""
    checked = {field: _checked(field, value) for field, value in changes.items()}
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy__calendar").get(pk=ticket.pk)
        changed: list[str] = []
        for field, value in checked.items():
            old = getattr(locked, field)
            if _as_history(old) == _as_history(value):
                continue
            setattr(locked, field, value)
            changed.append(field)
            history_record(locked, actor, "changed", field, _as_history(old), _as_history(value))
        if "priority" in changed and locked.escalated_at is None:
            changed += sla_refresh(locked)  # other targets apply; after an escalation the deadlines stand
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    return locked


def clean_tag(name: str) -> str:
    tag = " ".join(str(name).split()).lower()
    if not tag:
        raise ValidationError({"tag": [_("Write a tag.")]})
    if len(tag) > TAG_MAX:
        raise ValidationError({"tag": [_("At most %(max)d characters.") % {"max": TAG_MAX}]})
    return tag


def ticket_tag_add(
    *, ticket: Ticket, name: str, actor: Any, source: str = TagSource.MANUAL, confidence: float = 1.0
) -> TicketTag:
    """Tag a ticket. A person's tag always wins over an automatic one; an automatic one only updates
    another automatic tag's confidence."""
    tag = clean_tag(name)
    if source not in TagSource.values:
        raise ValidationError({"source": [_("Unknown tag source.")]})
    if not 0.0 <= confidence <= 1.0:
        raise ValidationError({"confidence": [_("Give a confidence between 0 and 1.")]})
    if source == TagSource.MANUAL:
        confidence = 1.0
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(pk=ticket.pk).first()  # one tag change at a time per ticket
        existing = TicketTag.objects.filter(ticket=ticket, name=tag).first()
        if existing is not None:
            if existing.source == TagSource.MANUAL or (existing.source == source and existing.confidence == confidence):
                return existing
            existing.source, existing.confidence = source, confidence
            existing.save(update_fields=["source", "confidence"])
            history_record(ticket, actor, "tag_changed", "tags", None, {"name": tag, "source": source})
            return existing
        if TicketTag.objects.filter(ticket=ticket).count() >= TAGS_PER_TICKET:
            raise ValidationError({"tag": [_("A ticket can have at most %(max)d tags.") % {"max": TAGS_PER_TICKET}]})
        created = TicketTag.objects.create(ticket=ticket, name=tag, source=source, confidence=confidence)
        history_record(ticket, actor, "tag_added", "tags", None, {"name": tag, "source": source})
    return created


def ticket_tag_remove(*, ticket: Ticket, name: str, actor: Any) -> bool:
    tag = clean_tag(name)
    with transaction.atomic():
        deleted, _rows = TicketTag.objects.filter(ticket=ticket, name=tag).delete()
        if deleted:
            history_record(ticket, actor, "tag_removed", "tags", {"name": tag}, None)
    return bool(deleted)
