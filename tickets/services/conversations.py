"""Linking a conversation to an existing ticket, from the desk: the agent sees the customer
already has a ticket about this and joins the chat to it instead of opening a duplicate."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError, ServiceError
from conversations.models import Conversation
from customers.services.identity import same_person
from tickets.models import Ticket
from tickets.services.history import history_record


class OtherCustomersConversation(ServiceError):
    code = "other_customer"


class TicketMerged(ConflictError):
    code = "ticket_merged"


def ticket_conversation_link(*, ticket: Ticket, conversation: Conversation, actor: Any) -> Ticket:
    """Add ``conversation`` to the ticket's conversations, with a line in its history. Linking
    one already linked changes nothing (and writes no second line)."""
    if ticket.merged_into_id is not None:
        merged_into = Ticket.objects.filter(pk=ticket.merged_into_id).values_list("number", flat=True).first()
        raise TicketMerged(
            _("Ticket #%(number)d was merged into #%(into)d: link the conversation there.")
            % {"number": ticket.number, "into": merged_into or 0}
        )
    # The same person counts even when one of the two profiles was merged into the other since.
    if not same_person(conversation.customer, ticket.customer):
        raise OtherCustomersConversation(
            _("This conversation is another customer's: link it to one of their own tickets."), field="conversation"
        )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)  # two clicks at once write one line
        if locked.conversations.filter(pk=conversation.pk).exists():
            return locked
        locked.conversations.add(conversation)
        history_record(
            locked, actor, "conversation_linked", "conversations", None, {"conversations": [conversation.pk]}
        )
    return locked
