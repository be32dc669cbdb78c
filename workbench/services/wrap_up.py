"""Ending a conversation with a wrap-up code: how it ended, in the agent's words if they like.

The conversation is resolved through conversations' own service, so everything that follows a
resolution happens as usual: the customer's sockets hear ``conversation.resolved`` and routing
frees the agent (after-contact work first when the queue asks for it).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError, PermissionDeniedError, ServiceError
from conversations.models import Conversation, ConversationStatus
from conversations.services import conversation_resolve
from routing.models import ContactStatus, RoutedContact
from workbench.models import ConversationWrapUp, WrapUpCode

MAX_WRAP_UP_NOTE = 500


def _holds(user: Any, conversation: Conversation) -> bool:
    """The user is the agent the conversation's contact is with now."""
    return RoutedContact.objects.filter(
        conversation=conversation, status=ContactStatus.ASSIGNED, agent__user_id=user.pk
    ).exists()


def _checked(code: object, note: object) -> tuple[WrapUpCode, str]:
    found = None
    if isinstance(code, str) and code.strip():
        found = WrapUpCode.objects.filter(code=code.strip(), is_active=True).first()
    if found is None:
        raise ServiceError(_("Choose one of the wrap-up codes."), field="code")
    text = note.strip() if isinstance(note, str) else None
    if text is None or len(text) > MAX_WRAP_UP_NOTE:
        raise ServiceError(
            _("Keep the wrap-up note to at most %(max)d characters.") % {"max": MAX_WRAP_UP_NOTE}, field="note"
        )
    return found, text


def conversation_wrap_up(
    *, conversation: Conversation, user: Any, code: object, note: object = ""
) -> ConversationWrapUp:
    """Store the wrap-up and resolve the conversation, both or neither.

    Refused: bad input (400), a conversation already ended (409 ``already_ended``), a user who is
    neither a supervisor or admin nor the agent holding the conversation (403 ``not_yours``).
    """
    wrap_code, text = _checked(code, note)
    with transaction.atomic():
        # The row lock makes two agents (or two clicks) ending it at once take turns: the second is refused.
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.status != ConversationStatus.OPEN:
            raise ConflictError(_("This conversation has already ended."), code="already_ended")
        if not (getattr(user, "is_staff", False) or _holds(user, locked)):
            raise PermissionDeniedError(
                _("Only the agent handling this conversation or a supervisor can end it."), code="not_yours"
            )
        wrap_up = ConversationWrapUp.objects.create(conversation=locked, agent=user, code=wrap_code, note=text)
        wrap_up.conversation = conversation_resolve(conversation=locked, actor=user)  # now resolved
    return wrap_up
