"""Changing the shipping address of an order that has not shipped: one self-service action for
the customer portal, the chat bot and the IVR (requirement M17).

The interfaces find the order with ``customers.selectors.order_get_for_customer`` (which
checks it is the customer's), show the address with ``order_address_version`` and
``order_address_changeable``, and submit with ``order_address_change``. In one transaction,
with the order row locked, the change is checked again, written, audited and queued for the
shop as an ``order.address_changed`` webhook (channels_app.adapters.app.order_events): the
shop owns the order and ships it, so a change it would never hear of is refused.

The version token is derived, not stored: a hash of the fields the decision rests on (the
address, the status, the tracking number and ``source_updated_at``). A stored counter would
have to be bumped by every writer, and the shop's order sync rewrites these fields without
knowing about it; the derived token changes whenever any of them does, whoever wrote it. A
change moves ``source_updated_at`` strictly forward, so two changes never share a token (it
also names the change's outbox row), and a second submit of the same form finds the token
moved on (``OrderChangedMeanwhile``).

Moving ``source_updated_at`` to the change time also keeps the shop's order sync from undoing
the change: a push stamped before it is skipped as stale. The shop acknowledges the change by
pushing the order again with an ``updated_at`` not older than the webhook's ``changed_at``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from channels_app.adapters.app.order_events import OrderSystem, order_address_changed_enqueue, order_system_for
from customers.domain.addresses import AddressInvalid, AddressProblem, PostalAddress, address_parse
from customers.models import CustomerAudit, Order

log = structlog.get_logger("callcenter.customers")

AUDIT_ACTION = "order_address_changed"
VERSION_PREFIX = "v1-"
# A change moves ``source_updated_at`` at least this far past the stored one, even when the
# shop's clock runs ahead of ours: a push carrying the old stamp must be older, hence stale.
MIN_STAMP_STEP = timedelta(microseconds=1)


class OrderAlreadyShipped(ConflictError):
    code = "order_already_shipped"

    def __init__(self) -> None:
        super().__init__(_("This order has already shipped, so its address can no longer be changed."))


class OrderChangedMeanwhile(ConflictError):
    code = "order_changed"

    def __init__(self) -> None:
        super().__init__(_("This order changed in the meantime. Reload it and check the address before changing it."))


class OrderSystemNotConnected(ConflictError):
    code = "order_system_not_connected"

    def __init__(self) -> None:
        super().__init__(
            _(
                "The address cannot be changed here because the shop's order system is not connected. "
                "Please contact customer service."
            )
        )


# --- validation -------------------------------------------------------------------------------


def _required_messages() -> dict[str, str]:
    return {
        "province": _("Enter the province."),
        "city": _("Enter the city."),
        "district": _("Enter the district or county."),
        "detail": _("Enter the street address."),
        "name": _("Enter the recipient's name."),
        "phone": _("Enter the recipient's phone number."),
    }


def _message(problem: AddressProblem) -> str:
    """The domain's codes in the words of forms and APIs (the IVR may phrase them its own way)."""
    if problem.code == "required":
        return _required_messages()[problem.field]
    if problem.code == "too_long":
        return _("Use at most %(max)d characters.") % {"max": problem.limit}
    if problem.code == "too_short":
        return _("Enter at least %(min)d characters: street, number, building and room.") % {"min": problem.limit}
    if problem.code == "control_characters":
        return _("Remove the control characters from this field.")
    if problem.code == "unknown_province":
        return _(
            "Enter a province, municipality, autonomous region or special administrative region of China, "
            "e.g. 广东省 or 北京市."
        )
    if problem.code == "city_is_province":
        return _("Enter the city, not the province again.")
    if problem.code == "invalid_phone":
        return _("Enter a valid phone number, e.g. 13812345678 or 010-12345678.")
    if problem.code == "not_mainland_phone":
        return _("Enter a mainland China phone number (+86).")
    return _("Enter this as text.")  # not_text


def address_validate(address: Any) -> PostalAddress:
    """The customer's input as a ``PostalAddress``, or Django's ``ValidationError`` with a message per field."""
    if not isinstance(address, dict):
        raise ValidationError(_("Send the address as an object of text fields."), code="invalid")
    try:
        return address_parse(address)
    except AddressInvalid as exc:
        raise ValidationError(
            {
                field: [ValidationError(_message(p), code=p.code) for p in problems]
                for field, problems in exc.by_field().items()
            }
        ) from exc


# --- the rule and the version ------------------------------------------------------------------


def _changeable_statuses(system: OrderSystem) -> frozenset[str]:
    """The tenant's own list (on its shop's channel), else the settings default; compared case-blind."""
    statuses = system.changeable_statuses
    if statuses is None:
        statuses = frozenset(settings.ORDER_ADDRESS_CHANGEABLE_STATUSES)
    return frozenset(s.strip().casefold() for s in statuses)


def _has_shipped(order: Order, system: OrderSystem) -> bool:
    """Shipped, or past the point where the shop can still redirect it: a tracking number, or a status not listed."""
    return bool(order.tracking_no.strip()) or order.status.strip().casefold() not in _changeable_statuses(system)


def order_address_changeable(order: Order) -> bool:
    """Whether ``order_address_change`` would accept a change now (a shop connected, not shipped)."""
    system = order_system_for(order.customer)
    return system is not None and not _has_shipped(order, system)


def order_address_version(order: Order) -> str:
    """An opaque token for the form to carry back; it changes whenever the order changes in a way that matters."""
    stamp = order.source_updated_at.astimezone(UTC).isoformat()  # the same token whatever the zone it was read in
    basis = json.dumps(
        [order.shipping_address, order.status, order.tracking_no, stamp], sort_keys=True, ensure_ascii=False
    )
    return VERSION_PREFIX + hashlib.sha256(basis.encode()).hexdigest()[:32]


# --- the change -------------------------------------------------------------------------------


def _locked(order: Order) -> Order:
    """The order's row, locked (not its customer's: merges and identity resolution lock those).

    The order number as well as the id must match: ids repeat across tenant schemas, so an
    instance loaded in another tenant finds nothing here (Order.DoesNotExist).
    """
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=order.pk, order_no=order.order_no)
    )


def order_address_change(*, order: Order, address: dict[str, str], expected_version: str, actor: str) -> Order:
    """Change the shipping address of an order that has not shipped; returns the order as stored.

    Raises ``ValidationError`` (per field: province, city, district, detail, name, phone),
    ``OrderSystemNotConnected``, ``OrderAlreadyShipped`` or ``OrderChangedMeanwhile``
    (409s), and nothing is written. Giving the address the order already has changes nothing
    and tells nobody.
    """
    new = address_validate(address).as_dict()
    with transaction.atomic():
        current = _locked(order)
        system = order_system_for(current.customer)
        if system is None:
            raise OrderSystemNotConnected()
        if _has_shipped(current, system):
            raise OrderAlreadyShipped()
        if order_address_version(current) != expected_version:
            raise OrderChangedMeanwhile()
        old = dict(current.shipping_address or {})
        if old == new:
            return current
        changed_at = max(timezone.now(), current.source_updated_at + MIN_STAMP_STEP)
        current.shipping_address = new
        current.source_updated_at = changed_at
        current.save(update_fields=["shipping_address", "source_updated_at"])
        version = order_address_version(current)
        delivery = order_address_changed_enqueue(
            system=system,
            order_no=current.order_no,
            old_address=old,
            new_address=new,
            changed_at=changed_at,
            changed_by=actor,
            version=version,
        )
        CustomerAudit.objects.create(
            actor=actor[:150],
            action=AUDIT_ACTION,
            customer=current.customer,
            detail={
                "order_no": current.order_no,
                "old_address": old,
                "new_address": new,
                "version": version,
                "delivery": delivery.pk,
            },
        )
    log.info("customers.order_address_changed", order=current.pk, actor=actor, delivery=delivery.pk)
    return current
