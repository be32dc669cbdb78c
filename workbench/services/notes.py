"""Internal notes on a conversation: agents write them for each other; the customer never sees them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from callcenter.core.errors import ServiceError
from conversations.models import Conversation
from workbench import events
from workbench.models import ConversationNote

MAX_NOTE = 2000


def note_body_problem(body: object) -> str | None:
    """Why ``body`` (already stripped) cannot be a note, or None."""
    if not isinstance(body, str) or not body or len(body) > MAX_NOTE:
        return _("Write a note of 1 to %(max)d characters.") % {"max": MAX_NOTE}
    return None


def note_add(*, conversation: Conversation, user: Any, body: object) -> ConversationNote:
    text = body.strip() if isinstance(body, str) else body
    if problem := note_body_problem(text):
        raise ServiceError(problem, field="body")
    assert isinstance(text, str)
    with transaction.atomic():
        note = ConversationNote.objects.create(conversation=conversation, author=user, body=text)
        events.note_created(note)
    return note
