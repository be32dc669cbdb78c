"""Telling the customer their ticket changed, on the channel they used last.

- Their newest conversation is still open: a system message in it, which the channel's adapter
  delivers like an agent's reply (WeChat customer-service message, the APP's webhook and
  sockets, the web widget).
- Otherwise, when they last wrote from the shop's APP and it has a webhook: a
  ``ticket.updated`` event through the outbox (signed, retried), for the APP to show or push.
- Otherwise, an e-mail when the profile has an address.
- Otherwise nobody can be reached, which the history says.

The text comes from the tenant's template for the event in the customer's language (Chinese
unless their profile says ``"language": "en"``). Templates are plain text: placeholders are
filled with plain text and nothing is ever interpreted as markup. Each notification is sent
once (its key is in the ticket's history), so the task may run twice.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from callcenter.core.tenancy import require_tenant
from conversations.models import Conversation, ConversationStatus
from customers.models import Customer
from customers.selectors import customer_language
from customers.services.identity import surviving
from tickets.models import NotificationTemplate, NotifyEvent, Status, Ticket, TicketComment, TicketEvent
from tickets.services.history import history_record

log = structlog.get_logger(__name__)

EVENT_FOR_STATUS: dict[str, str] = {
    Status.WAITING_CUSTOMER: NotifyEvent.WAITING_CUSTOMER,
    Status.RESOLVED: NotifyEvent.RESOLVED,
}
REPLY_EXCERPT_CHARS = 500


class _Blank(dict[str, str]):
    """Unknown placeholders stay as written instead of failing the whole notification."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def notification_render(event: str, language: str, values: dict[str, str]) -> tuple[str, str]:
    template = (
        NotificationTemplate.objects.filter(event=event, language=language).first()
        or NotificationTemplate.objects.filter(event=event).order_by("language").first()
    )
    if template is None:
        return "", ""
    safe = _Blank({key: str(value) for key, value in values.items()})
    return template.subject.format_map(safe), template.body.format_map(safe)


def _portal_link(ticket: Ticket) -> str:
    from tenants.selectors import tenant_primary_url

    return f"{tenant_primary_url(require_tenant())}portal/tickets/{ticket.number}/"


def _values(ticket: Ticket, comment: TicketComment | None, language: str) -> dict[str, str]:
    from django.utils import translation

    with translation.override(language):
        status = str(Status(ticket.status).label)
    reply = comment.body[:REPLY_EXCERPT_CHARS] if comment is not None else ""
    return {
        "number": str(ticket.number),
        "subject": ticket.subject,
        "status": status,
        "reply": reply,
        "link": _portal_link(ticket),
    }


def _via_conversation(conversation: Conversation, text: str, key: str) -> bool:
    from conversations.services import system_notice

    system_notice(conversation=conversation, body=text, client_msg_id=key[:64])
    return True


def _via_app_webhook(customer: Customer, conversation: Conversation, payload: dict[str, Any], key: str) -> bool:
    from channels_app.adapters.app.selectors import app_user_id_of
    from channels_app.adapters.app.webhooks import webhook_config_of
    from channels_app.models import ChannelKind
    from channels_app.selectors import channel_app_user_namespace
    from channels_app.services.outbox import delivery_enqueue

    channel = conversation.last_channel
    if channel.kind != ChannelKind.APP or not channel.is_active or webhook_config_of(channel) is None:
        return False
    app_user_id = app_user_id_of(customer, channel_app_user_namespace(channel))
    if app_user_id is None:
        return False
    delivery_enqueue(
        channel=channel, event="ticket.updated", payload={**payload, "app_user_id": app_user_id}, dedupe_key=key
    )
    return True


def ticket_notify(*, ticket_id: int, event: str, comment_id: int | None = None) -> str:
    """Tell the customer; returns how: ``conversation``, ``app``, ``email``, ``none``, or ``sent``
    when this notification already went out."""
    key = f"ticket-{ticket_id}-{event}-{comment_id or 0}"
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket_id)
        if TicketEvent.objects.filter(ticket=ticket, action="notified", field=key).exists():
            return "sent"
        customer = surviving(ticket.customer)
        comment = TicketComment.objects.filter(pk=comment_id, ticket=ticket).first() if comment_id else None
        language = customer_language(customer)
        values = _values(ticket, comment, language)
        subject, text = notification_render(event, language, values)
        if not text:
            return "none"
        latest = (
            Conversation.objects.select_related("last_channel")
            .filter(customer=customer)
            .order_by("-last_message_at", "-pk")
            .first()
        )
        how = "none"
        if latest is not None and latest.status == ConversationStatus.OPEN:
            how = "conversation" if _via_conversation(latest, text, key) else how
        if how == "none" and latest is not None:
            payload = {"ticket": ticket.number, "event": event, "status": ticket.status, "text": text, **values}
            how = "app" if _via_app_webhook(customer, latest, payload, key) else how
        if how == "none" and customer.emails:
            recipient = customer.emails[0]
            transaction.on_commit(
                lambda: send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient], fail_silently=False)
            )
            how = "email"
        history_record(ticket, "system", "notified", key, None, {"via": how, "event": event})
    log.info("tickets.customer_notified", ticket=ticket_id, notify_event=event, via=how)
    return how
