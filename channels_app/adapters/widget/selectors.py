"""Reads for widget visitors: their conversation, found through their identity, never a client-sent id."""

from __future__ import annotations

from channels_app.adapters.widget.tokens import Visitor
from conversations.models import Conversation, ConversationStatus
from customers.models import ChannelIdentity, IdentityKind
from customers.services.identity import surviving


def visitor_conversation(visitor: Visitor) -> Conversation | None:
    """The visitor's open conversation, else their latest one, else None."""
    identity = (
        ChannelIdentity.objects.filter(kind=IdentityKind.WEB_VISITOR, namespace="", external_id=visitor.visitor_id)
        .select_related("customer")
        .first()
    )
    if identity is None:
        return None
    mine = Conversation.objects.filter(customer=surviving(identity.customer))
    return mine.filter(status=ConversationStatus.OPEN).first() or mine.order_by("-opened_at").first()
