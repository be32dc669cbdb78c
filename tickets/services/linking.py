"""Automatic linking across channels (M18): a return request the customer submits in the shop's APP
joins what they already started elsewhere about the same order.

- An open ticket of the same customer about the same order (any channel, not closed or merged)
  takes the request as the customer's reply: one ticket, not two.
- Otherwise a new ticket is opened, in the category the request names (return / exchange by
  default).
- Either way, the customer's conversations of the last ``TICKET_LINK_WINDOW_H`` hours (on
  WeChat, the web chat, the APP) in which the order number was written are linked to it, so the
  agent sees the WeChat chat where the customer first complained.

"The same customer" is the profile the identity service resolved: a WeChat user and an APP user
are one customer once their unionid, phone or the shop's user id tied them together. Requests
carry the shop's own id, so a retried request changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import Conversation
from customers.models import Customer
from tickets.domain.workflow import CLOSED
from tickets.models import Category, Ticket, TicketComment
from tickets.services.comments import clean_body, ticket_customer_reply
from tickets.services.history import history_record
from tickets.services.tickets import ticket_create

DEFAULT_CATEGORY = "return-exchange"
ORDER_REF_MAX = 64


@dataclass(frozen=True)
class ReturnRequestOutcome:
    ticket: Ticket
    outcome: str  # "created", "linked" (joined an open ticket) or "duplicate" (seen before)
    conversations: list[int]


def related_conversations(customer: Customer, order_ref: str, *, now: datetime | None = None) -> list[Conversation]:
    """The customer's recent conversations in which the order number was written."""
    since = (now or timezone.now()) - timedelta(hours=settings.TICKET_LINK_WINDOW_H)
    return list(
        Conversation.objects.filter(
            customer=customer,
            last_message_at__gte=since,
            messages__body__contains=order_ref,
        )
        .distinct()
        .order_by("-last_message_at")[:10]
    )


def open_ticket_for_order(customer: Customer, order_ref: str) -> Ticket | None:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .filter(customer=customer, order_ref=order_ref, merged_into__isnull=True)
        .exclude(status=CLOSED)
        .order_by("-updated_at")
        .first()
    )


def return_request_submit(
    *,
    customer: Customer,
    order_ref: str,
    description: str,
    request_id: str,
    category_code: str = DEFAULT_CATEGORY,
    source: str = "app",
) -> ReturnRequestOutcome:
    order_ref = order_ref.strip()
    description = clean_body(description)
    if not order_ref or len(order_ref) > ORDER_REF_MAX:
        raise ValidationError(
            {"order_no": [_("Give the order number, at most %(max)d characters.") % {"max": ORDER_REF_MAX}]}
        )
    seen = TicketComment.objects.select_related("ticket").filter(external_ref=request_id).first()
    if seen is not None:
        return ReturnRequestOutcome(seen.ticket, "duplicate", [])
    category = Category.objects.filter(code=category_code, is_active=True).first()
    try:
        with transaction.atomic():
            conversations = related_conversations(customer, order_ref)
            ticket = open_ticket_for_order(customer, order_ref)
            outcome = "linked"
            if ticket is None:
                outcome = "created"
                subject = _("Return request for order %(order)s") % {"order": order_ref}
                ticket = ticket_create(
                    customer=customer, subject=subject, actor=source, category=category, order_ref=order_ref
                )
            already = set(ticket.conversations.values_list("pk", flat=True))
            new_links = [c for c in conversations if c.pk not in already]
            if new_links:
                ticket.conversations.add(*new_links)
                history_record(
                    ticket, "system", "auto_linked", "conversations", None, {"conversations": [c.pk for c in new_links]}
                )
            ticket_customer_reply(ticket=ticket, customer=customer, body=description, external_ref=request_id)
    except IntegrityError:
        # The same request arrived twice at once: the other one stored it.
        seen = TicketComment.objects.select_related("ticket").get(external_ref=request_id)
        return ReturnRequestOutcome(seen.ticket, "duplicate", [])
    return ReturnRequestOutcome(ticket, outcome, [c.pk for c in new_links])
