"""The workbench's real-time events, to the conversation's group after the write commits.

Only staff sockets forward them: the customer's sockets pass an allow-list
(``channels_app.consumers.customer.CUSTOMER_EVENTS``) that does not name them.
"""

from __future__ import annotations

from typing import Any

from callcenter.core.realtime import publish_on_commit
from callcenter.core.tenancy import require_tenant
from conversations.events import conversation_group
from workbench.models import ConversationNote
from workbench.people import person_name


def note_payload(note: ConversationNote) -> dict[str, Any]:
    return {
        "conversation": note.conversation_id,
        "id": note.pk,
        "author": note.author_id,
        "author_name": person_name(note.author),
        "body": note.body,
        "created_at": note.created_at.isoformat(),
    }


def note_created(note: ConversationNote) -> None:
    tenant = require_tenant()
    publish_on_commit(conversation_group(tenant.pk, note.conversation_id), "note.created", note_payload(note))
