"""Writes for widget visitors: start a chat (the optional pre-chat form) and send messages.

A visitor is a ``web_visitor`` identity; the name and phone they give link weakly (a merge
suggestion, never an automatic merge), because anyone can type any phone number.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from channels_app.adapters.widget.config import widget_config_of
from channels_app.adapters.widget.tokens import Visitor
from channels_app.adapters.widget.uploads import upload_reference_read
from conversations.models import Conversation, MessageKind
from conversations.services import Received, conversation_open_for, inbound_message_receive
from customers.domain.phones import InvalidPhoneNumber, normalize_phone
from customers.models import IdentityKind
from customers.services.identity import Contact, contact_resolve

MAX_NAME_CHARS = 60


def _clean_name(name: object) -> str:
    if not isinstance(name, str):
        raise ValidationError({"name": [_("Send the name as text.")]})
    name = name.strip()
    if len(name) > MAX_NAME_CHARS:
        raise ValidationError({"name": [_("At most %(max)d characters.") % {"max": MAX_NAME_CHARS}]})
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        raise ValidationError({"name": [_("The name contains characters that cannot be stored.")]})
    return name


def _clean_phone(phone: object) -> str:
    if not isinstance(phone, str):
        raise ValidationError({"phone": [_("Send the phone number as text.")]})
    if not phone.strip():
        return ""
    try:
        return normalize_phone(phone)
    except InvalidPhoneNumber as exc:
        raise ValidationError({"phone": [_("Enter a valid phone number, e.g. 138 0013 8000.")]}) from exc


def _contact(visitor: Visitor, name: str = "", phone: str = "") -> Contact:
    return Contact(kind=IdentityKind.WEB_VISITOR, external_id=visitor.visitor_id, display_name=name, phone=phone)


def widget_chat_start(
    *, visitor: Visitor, name: object = "", phone: object = "", topic: object = ""
) -> tuple[Conversation, bool]:
    """The visitor's open conversation, or a new one with what the pre-chat form said."""
    config = widget_config_of(visitor.channel)
    clean_name, clean_phone = _clean_name(name), _clean_phone(phone)
    if not isinstance(topic, str) or (topic and config.topics and topic not in config.topics) or len(topic) > 60:
        raise ValidationError({"topic": [_("Choose one of the topics offered.")]})
    if config.prechat == "required" and not (clean_name and clean_phone):
        raise ValidationError({"name": [_("Please tell us your name and phone number first.")]})
    with transaction.atomic():
        customer = contact_resolve(_contact(visitor, clean_name, clean_phone)).customer
        return conversation_open_for(customer=customer, channel=visitor.channel, topic=topic)


def _attachments_of(visitor: Visitor, references: object) -> list[dict[str, Any]]:
    """Only files this visitor uploaded can be attached: the client sends their signed references."""
    if references in (None, []):
        return []
    if not isinstance(references, list) or len(references) > 10:
        raise ValidationError({"attachments": [_("At most %(max)d attachments.") % {"max": 10}]})
    files = []
    for reference in references:
        upload = upload_reference_read(reference, visitor=visitor)
        if upload is None:
            raise ValidationError({"attachments": [_("Upload the file again: this reference is not valid.")]})
        files.append(upload)
    return files


def widget_message_send(
    *, visitor: Visitor, body: object = "", attachments: object = None, client_msg_id: object = ""
) -> Received:
    """A visitor's message into their one conversation (opened now if there is none)."""
    if not isinstance(client_msg_id, str):
        raise ValidationError({"client_msg_id": [_("Send the message id as text.")]})
    files: Sequence[dict[str, Any]] = _attachments_of(visitor, attachments)
    kind = MessageKind.TEXT
    if files:
        kind = MessageKind.IMAGE if all(f["content_type"].startswith("image/") for f in files) else MessageKind.FILE
    return inbound_message_receive(
        channel=visitor.channel,
        contact=_contact(visitor),
        kind=kind,
        body=body if body is not None else "",
        attachments=files,
        client_msg_id=client_msg_id,
    )
