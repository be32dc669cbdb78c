"""Reads for widget visitors: their conversation, found through their identity, never a client-sent id."""

from __future__ import annotations

from channels_app.adapters.widget.tokens import Visitor
from conversations.models import Conversation
from conversations.selectors import conversation_current_for
from customers.models import IdentityKind


def visitor_conversation(visitor: Visitor) -> Conversation | None:
    """The visitor's open conversation, else their latest one, else None."""
    return conversation_current_for(kind=IdentityKind.WEB_VISITOR, namespace="", external_id=visitor.visitor_id)
