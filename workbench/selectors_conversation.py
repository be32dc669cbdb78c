"""Reads about one conversation for the desk (its internal notes) and the wrap-up codes."""

from __future__ import annotations

from django.db.models import QuerySet

from conversations.models import Conversation
from workbench.models import ConversationNote, WrapUpCode


def notes_of(conversation: Conversation) -> QuerySet[ConversationNote]:
    """Oldest first, with what naming their authors needs."""
    return (
        ConversationNote.objects.filter(conversation=conversation)
        .select_related("author__agent_profile")
        .order_by("created_at", "id")
    )


def wrap_up_codes_active() -> QuerySet[WrapUpCode]:
    return WrapUpCode.objects.filter(is_active=True).order_by("position", "code")
