"""Merging two profiles of one person, and undoing it exactly. Nothing is deleted.

A merge moves the merged profile's records to the survivor and remembers their ids; the
merged profile stays, pointing at the survivor. Un-merge moves those same records back.
Apps whose records belong to a customer register them in ``MOVABLE`` (model, customer field).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from customers.models import Customer, CustomerAudit, CustomerMerge, MergeSuggestion, SuggestionStatus

MOVABLE: list[tuple[str, str]] = [
    ("customers.ChannelIdentity", "customer"),
    ("customers.Order", "customer"),
    ("customers.ActivityEvent", "customer"),
]


# Other contexts' objections to a merge: each raises ConflictError to refuse it.
MERGE_CHECKS: list[Callable[[Customer, Customer], None]] = []


def _union(first: list[str], second: list[str]) -> list[str]:
    return first + [item for item in second if item not in first]


def customer_merge(*, survivor: Customer, merged: Customer, actor: str) -> CustomerMerge:
    if survivor.pk == merged.pk:
        raise ConflictError(_("A customer cannot be merged into itself."), code="same_customer")
    with transaction.atomic():
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        if survivor.merged_into_id or merged.merged_into_id:
            raise ConflictError(_("One of these customers was already merged into another."), code="already_merged")
        for check in MERGE_CHECKS:
            check(survivor, merged)
        moved: dict[str, Any] = {
            "survivor_before": {
                "phones": survivor.phones,
                "emails": survivor.emails,
                "tags": survivor.tags,
                "display_name": survivor.display_name,
                "tier_id": survivor.tier_id,
            },
            "records": {},
        }
        for label, field in MOVABLE:
            model = apps.get_model(label)
            rows = model.objects.filter(**{field: merged})
            moved["records"][label] = list(rows.values_list("pk", flat=True))
            rows.update(**{field: survivor})
        survivor.phones = _union(survivor.phones, merged.phones)
        survivor.emails = _union(survivor.emails, merged.emails)
        survivor.tags = _union(survivor.tags, merged.tags)
        survivor.display_name = survivor.display_name or merged.display_name
        if merged.tier and (survivor.tier is None or merged.tier.rank > survivor.tier.rank):
            survivor.tier = merged.tier  # keep the better membership
        survivor.save()
        merged.merged_into = survivor
        merged.save(update_fields=["merged_into", "updated_at"])
        record = CustomerMerge.objects.create(survivor=survivor, merged=merged, moved=moved, merged_by=actor)
        MergeSuggestion.objects.filter(
            status=SuggestionStatus.OPEN, customer__in=[survivor, merged], candidate__in=[survivor, merged]
        ).update(status=SuggestionStatus.MERGED, decided_by=actor)
        for customer in (survivor, merged):
            CustomerAudit.objects.create(
                actor=actor,
                action="merged",
                customer=customer,
                detail={"merge": record.pk, "survivor": survivor.pk, "merged": merged.pk},
            )
    return record


def customer_unmerge(*, merge: CustomerMerge, actor: str) -> CustomerMerge:
    """Move back exactly what the merge moved and restore the survivor's own fields."""
    with transaction.atomic():
        record = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
        if record.undone_at is not None:
            raise ConflictError(_("This merge was already undone."), code="already_undone")
        later = CustomerMerge.objects.filter(pk__gt=record.pk, undone_at__isnull=True)
        involved = [record.survivor_id, record.merged_id]
        if later.filter(Q(survivor_id__in=involved) | Q(merged_id__in=involved)).exists():
            raise ConflictError(_("Undo the later merges of these customers first."), code="later_merge")
        survivor = Customer.objects.select_for_update().get(pk=record.survivor_id)
        merged = Customer.objects.select_for_update().get(pk=record.merged_id)
        for label, ids in record.moved.get("records", {}).items():
            field = dict(MOVABLE).get(label, "customer")
            apps.get_model(label).objects.filter(pk__in=ids, **{field: survivor}).update(**{field: merged})
        before = record.moved.get("survivor_before", {})
        for name in ("phones", "emails", "tags", "display_name", "tier_id"):
            if name in before:
                setattr(survivor, name, before[name])
        survivor.save()
        merged.merged_into = None
        merged.save(update_fields=["merged_into", "updated_at"])
        record.undone_by, record.undone_at = actor, timezone.now()
        record.save(update_fields=["undone_by", "undone_at"])
        for customer in (survivor, merged):
            CustomerAudit.objects.create(actor=actor, action="unmerged", customer=customer, detail={"merge": record.pk})
    return record


def suggestion_dismiss(*, suggestion: MergeSuggestion, actor: str) -> None:
    with transaction.atomic():
        updated = MergeSuggestion.objects.filter(pk=suggestion.pk, status=SuggestionStatus.OPEN).update(
            status=SuggestionStatus.DISMISSED, decided_by=actor
        )
        if updated:
            CustomerAudit.objects.create(
                actor=actor,
                action="suggestion_dismissed",
                customer_id=suggestion.customer_id,
                detail={"candidate": suggestion.candidate_id},
            )
