"""Writing conversations and messages. The database is the truth; sockets only hear about it.

Every message gets the next sequence number of its conversation under a row lock, so numbers
are gapless and ordered; a client that missed anything asks for ``since=<seq>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from channels_app.models import Channel
from conversations import events
from conversations.models import Conversation, ConversationStatus, Direction, Message, MessageKind, SenderType
from customers.models import Customer
from customers.services.identity import Contact, contact_resolve

MAX_TEXT_CHARS = 4000
MAX_ATTACHMENTS = 10
MAX_CLIENT_ID_CHARS = 64
TOPIC_MAX_CHARS = 60
# Web links, our own signed file links, and WeChat media ids waiting to be fetched.
ATTACHMENT_URL_PREFIXES = ("https://", "http://", "/channels/files/", "wechat-media:")


def _clean_text(body: object) -> str:
    if not isinstance(body, str):
        raise ValidationError({"body": [_("Send the text as a string.")]})
    if "\x00" in body or any(0xD800 <= ord(ch) <= 0xDFFF for ch in body):
        raise ValidationError({"body": [_("The text contains characters that cannot be stored.")]})
    if len(body) > MAX_TEXT_CHARS:
        raise ValidationError({"body": [_("At most %(max)d characters.") % {"max": MAX_TEXT_CHARS}]})
    return body


def _clean_attachments(attachments: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": [_("At most %(max)d attachments.") % {"max": MAX_ATTACHMENTS}]})
    cleaned: list[dict[str, Any]] = []
    for item in attachments:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ValidationError({"attachments": [_("Each attachment needs a url.")]})
        if not item["url"].startswith(ATTACHMENT_URL_PREFIXES) or len(item["url"]) > 2000:
            # Agents' pages turn these into links: a javascript: URL must never get that far.
            raise ValidationError({"attachments": [_("Attachment links must start with https:// or http://.")]})
        kept: dict[str, Any] = {k: item[k] for k in ("url", "content_type", "size", "name") if k in item}
        cleaned.append(kept)
    return cleaned


def _validate(kind: str, body: object, attachments: Sequence[dict[str, Any]], client_msg_id: str) -> tuple[str, list]:
    if kind not in MessageKind.values:
        raise ValidationError({"kind": [_("Unknown message kind.")]})
    if len(client_msg_id) > MAX_CLIENT_ID_CHARS:
        raise ValidationError({"client_msg_id": [_("At most %(max)d characters.") % {"max": MAX_CLIENT_ID_CHARS}]})
    text = _clean_text(body)
    files = _clean_attachments(attachments)
    if kind == MessageKind.TEXT and not text.strip():
        raise ValidationError({"body": [_("Write a message.")]})
    return text, files


def conversation_open_for(*, customer: Customer, channel: Channel, topic: str = "") -> tuple[Conversation, bool]:
    """The customer's open conversation, joined from any channel, or a new one (a new contact)."""
    with transaction.atomic(savepoint=False):
        Customer.objects.select_for_update().filter(pk=customer.pk).first()  # one opener at a time
        existing = Conversation.objects.filter(customer=customer, status=ConversationStatus.OPEN).first()
        if existing is not None:
            if existing.last_channel_id != channel.pk:
                existing.last_channel = channel
                existing.save(update_fields=["last_channel"])
            return existing, False
        conversation = Conversation.objects.create(
            customer=customer, first_channel=channel, last_channel=channel, topic=topic[:TOPIC_MAX_CHARS]
        )
        events.contact_created(conversation, customer, channel)
        return conversation, True


def message_append(
    *,
    conversation: Conversation,
    channel: Channel | None,
    direction: str,
    sender_type: str,
    kind: str = MessageKind.TEXT,
    body: object = "",
    attachments: Sequence[dict[str, Any]] = (),
    client_msg_id: str = "",
    sender_user: Any = None,
) -> tuple[Message, bool]:
    """Store one message with the next sequence number. Re-sending a client_msg_id returns the first."""
    text, files = _validate(kind, body, attachments, client_msg_id)
    # No savepoint when nested: nothing in here recovers from an error, the caller's transaction ends.
    with transaction.atomic(savepoint=False):
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if client_msg_id:
            earlier = Message.objects.filter(conversation=locked, client_msg_id=client_msg_id).first()
            if earlier is not None:
                return earlier, False
        if locked.status != ConversationStatus.OPEN and direction == Direction.OUTBOUND:
            raise ConflictError(_("This conversation is resolved."), code="conversation_resolved")
        now = timezone.now()
        locked.last_seq += 1
        locked.last_message_at = now
        locked.save(update_fields=["last_seq", "last_message_at"])
        message = Message.objects.create(
            conversation=locked,
            seq=locked.last_seq,
            channel=channel,
            direction=direction,
            kind=kind,
            sender_type=sender_type,
            sender_user=sender_user,
            body=text,
            attachments=files,
            client_msg_id=client_msg_id,
        )
        events.message_created(message)
    return message, True


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool  # False when the client_msg_id was seen before


def inbound_message_receive(
    *,
    channel: Channel,
    contact: Contact,
    kind: str = MessageKind.TEXT,
    body: object = "",
    attachments: Sequence[dict[str, Any]] = (),
    client_msg_id: str = "",
    topic: str = "",
) -> Received:
    """A customer's message from any channel: find the customer, join or open the conversation, store it."""
    _validate(kind, body, attachments, client_msg_id)  # refuse bad input before anything is written
    with transaction.atomic():
        conversation = _open_conversation_of_known_contact(contact, channel)
        if conversation is None:
            customer = contact_resolve(contact).customer
            conversation, _created = conversation_open_for(customer=customer, channel=channel, topic=topic)
        message, created = message_append(
            conversation=conversation,
            channel=channel,
            direction=Direction.INBOUND,
            sender_type=SenderType.CUSTOMER,
            kind=kind,
            body=body,
            attachments=attachments,
            client_msg_id=client_msg_id,
        )
    return Received(message, created)


def agent_reply(
    *,
    conversation: Conversation,
    user: Any,
    kind: str = MessageKind.TEXT,
    body: object = "",
    attachments: Sequence[dict[str, Any]] = (),
    client_msg_id: str = "",
) -> Received:
    """An agent's message to the customer, sent back on the channel the customer last wrote from.

    The adapters of that channel (WeChat customer-service API, the APP's webhook) hear about it
    through the ``conversations.message_outbound`` domain event once it is committed.
    """
    _validate(kind, body, attachments, client_msg_id)
    return _send_outbound(
        conversation=conversation,
        sender_type=SenderType.AGENT,
        sender_user=user,
        kind=kind,
        body=body,
        attachments=attachments,
        client_msg_id=client_msg_id,
    )


def system_notice(*, conversation: Conversation, body: str, client_msg_id: str) -> Received:
    """A message from the service itself (a ticket update), sent like an agent's reply on the channel
    the customer last wrote from. Only into an open conversation; sending it twice stores it once."""
    return _send_outbound(
        conversation=conversation, sender_type=SenderType.SYSTEM, body=body, client_msg_id=client_msg_id
    )


def _send_outbound(
    *, conversation: Conversation, sender_type: str, sender_user: Any = None, **message: Any
) -> Received:
    """Store an outbound message on the channel the customer last wrote from; its adapter hears of it
    (``message_outbound``) once the transaction commits, and only for a message stored now."""
    with transaction.atomic():
        channel = Channel.objects.get(pk=conversation.last_channel_id)
        stored, created = message_append(
            conversation=conversation,
            channel=channel,
            direction=Direction.OUTBOUND,
            sender_type=sender_type,
            sender_user=sender_user,
            **message,
        )
        if created:
            events.message_outbound(stored, channel)
    return Received(stored, created)


def messages_mark_read(*, conversation: Conversation, direction: str, up_to_seq: int) -> int:
    """The reader has seen every ``direction`` message up to ``up_to_seq``: mark them delivered and read."""
    if direction not in Direction.values:
        raise ValidationError({"direction": [_("Unknown direction.")]})
    now = timezone.now()
    with transaction.atomic():
        unread = Message.objects.filter(
            conversation=conversation, direction=direction, seq__lte=up_to_seq, read_at__isnull=True
        )
        Message.objects.filter(pk__in=unread.filter(delivered_at__isnull=True).values("pk")).update(delivered_at=now)
        count = unread.update(read_at=now)
        if count:
            events.messages_read(conversation, direction, up_to_seq)
    return count


def _open_conversation_of_known_contact(contact: Contact, channel: Channel) -> Conversation | None:
    """The fast path of a chat in progress: a contact already linked, with an open conversation.

    One query instead of identity resolution's locks and lookups. Only when the contact brings
    nothing new to link (a name, a phone, a unionid...): otherwise resolution runs in full.
    """
    if contact.display_name or contact.phone or contact.wechat_unionid or contact.email or contact.extra_ids:
        return None
    conversation = (
        Conversation.objects.filter(
            status=ConversationStatus.OPEN,
            customer__merged_into__isnull=True,
            customer__identities__kind=contact.kind,
            customer__identities__namespace=contact.namespace,
            customer__identities__external_id=contact.external_id,
        )
        .only("pk", "last_channel_id")
        .first()
    )
    if conversation is not None and conversation.last_channel_id != channel.pk:
        Conversation.objects.filter(pk=conversation.pk).update(last_channel=channel)
    return conversation


def message_mark_delivered(*, message_id: int) -> bool:
    """A channel delivered the message to the customer's side; False when it was already marked."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id, delivered_at__isnull=True).first()
        if message is None:
            return False
        message.delivered_at = timezone.now()
        message.save(update_fields=["delivered_at"])
        events.message_delivered(message)
    return True


def message_attachments_replace(*, message_id: int, replacements: dict[str, dict[str, Any]]) -> Message | None:
    """Swap attachments by their url (a WeChat media id for our stored copy, say); others stay as they are."""
    cleaned = {url: _clean_attachments([attachment])[0] for url, attachment in replacements.items()}
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",)).select_related("channel").filter(pk=message_id).first()
        )
        if message is None:
            return None
        changed = [
            cleaned.get(str(item.get("url", "")), item) if isinstance(item, dict) else item
            for item in message.attachments
        ]
        if changed != message.attachments:
            message.attachments = changed
            message.save(update_fields=["attachments"])
            events.message_updated(message)
    return message


def conversation_resolve(*, conversation: Conversation, actor: Any) -> Conversation:
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.status == ConversationStatus.RESOLVED:
            return locked
        locked.status, locked.resolved_at = ConversationStatus.RESOLVED, timezone.now()
        locked.save(update_fields=["status", "resolved_at"])
        events.conversation_resolved(locked, actor)
    return locked


def refuse_merge_of_two_open_conversations(survivor: Customer, merged: Customer) -> None:
    """A merge check: one customer can have only one open conversation."""
    open_count = Conversation.objects.filter(customer__in=[survivor, merged], status=ConversationStatus.OPEN).count()
    if open_count > 1:
        raise ConflictError(
            _("Both customers have an open conversation. Resolve one of them, then merge."), code="two_open"
        )
