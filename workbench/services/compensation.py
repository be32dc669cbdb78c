"""Sending a compensation link into the chat (M19): the agent offers a compensation on a ticket,
and the customer opens the ticket in the portal (or the shop's APP) to see and confirm it.

The link is made by the portal (``portal.links.portal_ticket_link_issue``, which notes it in the
ticket's history) and sent as the agent's reply (``conversations.services.agent_reply``), in the
customer's language when their profile names one, else in Chinese. The message's client id is
made from the ticket and the minute, so a double click sends one message and makes one link.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError, ServiceError
from channels_app.models import ChannelKind
from conversations.models import Conversation, ConversationStatus, Message
from conversations.services import agent_reply
from customers.selectors import customer_language
from customers.services.identity import same_person
from portal.links import portal_ticket_link_issue
from tickets.models import Ticket, TicketEvent

DEFAULT_TTL_HOURS = 72
MIN_TTL_HOURS = 1
MAX_TTL_HOURS = 30 * 24

# What the customer reads, in their language (not the agent's): {number}, {hours}, {url}.
TEXTS = {
    "zh-hans": "您好，关于工单 #{number} 的补偿方案，请点击链接查看并确认（{hours} 小时内有效）：{url}",
    "en": (
        "Hello, about ticket #{number}: please open this link to see and confirm the compensation we offer "
        "(valid for {hours} hours): {url}"
    ),
}
APP_LINE = {"zh-hans": "在 APP 中打开：{link}", "en": "Open it in the APP: {link}"}


@dataclass(frozen=True)
class CompensationSent:
    message: Message
    created: bool  # False: the same request a moment ago already sent it
    expires_at: int  # Unix seconds


def compensation_text(*, language: str, number: int, hours: int, url: str, app_link: str | None) -> str:
    text = TEXTS[language].format(number=number, hours=hours, url=url)
    return f"{text}\n{APP_LINE[language].format(link=app_link)}" if app_link else text


def _client_msg_id(ticket: Ticket, now: float) -> str:
    return f"compensation-{ticket.number}-{int(now) // 60}"


def _last_expiry(ticket: Ticket) -> int:
    event = TicketEvent.objects.filter(ticket=ticket, action="portal_link_sent").order_by("-at", "-id").first()
    value = event.new_value if event is not None and isinstance(event.new_value, dict) else {}
    return int(value.get("expires_at") or 0)


def compensation_link_send(
    *, conversation: Conversation, ticket: Ticket, user: Any, ttl_hours: int = DEFAULT_TTL_HOURS
) -> CompensationSent:
    """Make the ticket's portal link and send it to the customer as the agent's reply.

    Refused: a ticket of another customer (400), a validity outside 1-720 hours (400), a
    resolved conversation (409); nothing is written then.
    """
    if not MIN_TTL_HOURS <= ttl_hours <= MAX_TTL_HOURS:
        raise ServiceError(
            _("The link can be valid for %(min)d to %(max)d hours.") % {"min": MIN_TTL_HOURS, "max": MAX_TTL_HOURS},
            field="ttl_hours",
        )
    customer = conversation.customer
    if not same_person(ticket.customer, customer):
        raise ServiceError(
            _("Ticket #%(number)d is another customer's: send this customer a link to one of their own tickets.")
            % {"number": ticket.number},
            field="ticket",
        )
    client_msg_id = _client_msg_id(ticket, time.time())
    with transaction.atomic():
        # The conversation's row lock makes a double click wait for the first, then find its message.
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        earlier = Message.objects.filter(conversation=locked, client_msg_id=client_msg_id).first()
        if earlier is not None:
            return CompensationSent(message=earlier, created=False, expires_at=_last_expiry(ticket))
        if locked.status != ConversationStatus.OPEN:
            raise ConflictError(_("This conversation is resolved."), code="conversation_resolved")
        issued = portal_ticket_link_issue(ticket=ticket, actor=user, ttl_s=ttl_hours * 3600)
        in_app = conversation.last_channel.kind == ChannelKind.APP
        body = compensation_text(
            language=customer_language(customer),
            number=ticket.number,
            hours=ttl_hours,
            url=issued.url,
            app_link=issued.app_link if in_app else None,
        )
        sent = agent_reply(conversation=locked, user=user, body=body, client_msg_id=client_msg_id)
    return CompensationSent(message=sent.message, created=sent.created, expires_at=issued.expires_at)
