"""Order statuses as a shop's system sends them (free text), shown to people in their language.

Shops send their own codes; the common ones are named here. A status not named is shown as sent.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

_LABELS: dict[str, Promise] = {
    "unpaid": pgettext_lazy("order status", "awaiting payment"),
    "pending": pgettext_lazy("order status", "awaiting payment"),
    "paid": pgettext_lazy("order status", "paid"),
    "processing": pgettext_lazy("order status", "being prepared"),
    "shipped": pgettext_lazy("order status", "shipped"),
    "in_transit": pgettext_lazy("order status", "on the way"),
    "delivered": pgettext_lazy("order status", "delivered"),
    "completed": pgettext_lazy("order status", "completed"),
    "cancelled": pgettext_lazy("order status", "cancelled"),
    "canceled": pgettext_lazy("order status", "cancelled"),
    "refunding": pgettext_lazy("order status", "refund in progress"),
    "refunded": pgettext_lazy("order status", "refunded"),
    "returned": pgettext_lazy("order status", "returned"),
    "closed": pgettext_lazy("order status", "closed"),
}


def order_status_label(status: str) -> str:
    label = _LABELS.get(status.strip().lower())
    return str(label) if label is not None else status
