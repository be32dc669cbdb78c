"""The screen pop turned into what the desk's side panel shows: labels in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_app.models import ChannelKind
from customers.domain.order_status import order_status_label
from customers.models import IdentityKind
from tickets.models import Status
from workbench.screen_pop import ScreenPop

# What the shop's APP reports, as the agent reads it; an unknown kind shows as it was sent.
ACTIVITY_LABELS = {
    "submitted_return_request": gettext_lazy("submitted a return request"),
    "return_requested": gettext_lazy("submitted a return request"),
    "viewed_order": gettext_lazy("viewed an order"),
    "viewed_product": gettext_lazy("viewed a product"),
    "added_to_cart": gettext_lazy("added to the cart"),
    "placed_order": gettext_lazy("placed an order"),
    "cancelled_order": gettext_lazy("cancelled an order"),
    "changed_address": gettext_lazy("changed the shipping address"),
}


@dataclass(frozen=True)
class TimelineRow:
    at: Any
    icon: str
    title: str
    detail: str
    conversation_id: int | None


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _activity_detail(data: dict[str, Any]) -> str:
    shown = [f"{key}: {value}" for key, value in data.items() if isinstance(value, str | int | float) and key != "url"]
    return " · ".join(shown[:4])


def _timeline_row(entry: Any) -> TimelineRow:
    summary = entry.summary
    if entry.kind == "conversation":
        title = _("Chat on %(channel)s") % {"channel": _label(ChannelKind, summary.get("channel", ""))}
        detail = _("%(count)s messages") % {"count": summary.get("messages", 0)}
        if summary.get("topic"):
            detail = f"{summary['topic']} · {detail}"
        return TimelineRow(entry.at, "chat", title, detail, entry.id)
    if entry.kind == "order":
        title = _("Order %(order)s") % {"order": summary.get("order_no", "")}
        detail = " · ".join(
            part
            for part in (order_status_label(summary.get("status", "")), summary.get("logistics_status", ""))
            if part
        )
        return TimelineRow(entry.at, "order", title, detail, None)
    if entry.kind == "activity":
        kind = summary.get("kind", "")
        title = _("In the APP: %(what)s") % {"what": ACTIVITY_LABELS.get(kind, kind)}
        return TimelineRow(entry.at, "app", title, _activity_detail(summary.get("data") or {}), None)
    return TimelineRow(entry.at, entry.kind, entry.kind, "", None)


def screen_pop_context(pop: ScreenPop, current_conversation_id: int | None) -> dict[str, Any]:
    channel_of = {entry.id: entry.summary.get("channel", "") for entry in pop.timeline if entry.kind == "conversation"}
    return {
        "customer": pop.customer,
        "identities": [(_label(IdentityKind, i.kind), i) for i in pop.identities],
        "orders": [(o, order_status_label(o.status)) for o in pop.orders],
        "open_tickets": [(t, _label(Status, t.status)) for t in pop.open_tickets],
        "past_tickets": [(t, _label(Status, t.status)) for t in pop.past_tickets],
        "timeline": [
            _timeline_row(e) for e in pop.timeline if e.id != current_conversation_id or e.kind != "conversation"
        ],
        "earlier": [
            {"id": pk, "channel": _label(ChannelKind, channel_of.get(pk, "")), "lines": lines}
            for pk, lines in pop.earlier.items()
        ],
        "current_conversation": current_conversation_id,
    }
