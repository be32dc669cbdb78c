"""Replies and internal notes on a ticket, with their attachments.

A public reply from an agent is the team's answer (the first one stops the SLA's first-response
clock); a reply from the customer goes back to the team and may reopen the ticket; an internal
note is for the team only, and so are its files. Files are checked against their content (see
``channels_app.services.files``) and stored privately under ``t<tenant>/tickets/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from channels_app.services.files import StoredUpload, file_store
from customers.models import Customer
from tickets.domain.workflow import CLOSED
from tickets.models import NotifyEvent, Ticket, TicketAttachment, TicketComment, Visibility
from tickets.services.history import history_record
from tickets.services.tickets import ticket_customer_replied

BODY_MAX = 10_000
FILES_PER_COMMENT = 5


@dataclass(frozen=True)
class IncomingFile:
    file: IO[bytes]
    name: str
    content_type: str
    size: int

    @classmethod
    def from_upload(cls, upload: Any) -> IncomingFile:
        """A file posted to a form or the API (Django's UploadedFile); its type is checked later, from its bytes."""
        name, content_type = upload.name or "file", upload.content_type or ""
        return cls(file=upload, name=name, content_type=content_type, size=upload.size or 0)


class TicketClosed(ConflictError):
    code = "ticket_closed"


def clean_body(body: object, *, allow_empty: bool = False) -> str:
    text = str(body or "").replace("\r\n", "\n").strip()
    if not text and not allow_empty:
        raise ValidationError({"body": [_("Write a message.")]})
    if len(text) > BODY_MAX:
        raise ValidationError({"body": [_("At most %(max)d characters.") % {"max": BODY_MAX}]})
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise ValidationError({"body": [_("The text contains control characters.")]})
    return text


def _store_files(files: Sequence[IncomingFile]) -> list[StoredUpload]:
    """Check and store every file before anything is written; one bad file refuses them all."""
    if len(files) > FILES_PER_COMMENT:
        raise ValidationError({"files": [_("At most %(max)d files at once.") % {"max": FILES_PER_COMMENT}]})
    stored: list[StoredUpload] = []
    try:
        for incoming in files:
            stored.append(
                file_store(
                    area="tickets",
                    file=incoming.file,
                    name=incoming.name,
                    declared_type=incoming.content_type,
                    size=incoming.size,
                    max_mb=settings.TICKET_ATTACHMENT_MAX_MB,
                )
            )
    except ValidationError:
        _discard(stored)
        raise
    return stored


def _discard(stored: Sequence[StoredUpload]) -> None:
    for upload in stored:
        default_storage.delete(upload.key)


def _add(
    *,
    ticket: Ticket,
    visibility: str,
    body: str,
    files: Sequence[IncomingFile],
    author: Any = None,
    customer: Customer | None = None,
    label: str = "",
    external_ref: str = "",
) -> TicketComment:
    text = clean_body(body, allow_empty=bool(files))
    stored = _store_files(files)
    try:
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
            if locked.status == CLOSED and customer is not None:
                raise TicketClosed(_("This ticket is closed. Please open a new one."))
            comment = TicketComment.objects.create(
                ticket=locked,
                visibility=visibility,
                body=text,
                author=author,
                author_customer=customer,
                author_label=label,
                external_ref=external_ref,
            )
            TicketAttachment.objects.bulk_create(
                TicketAttachment(
                    ticket=locked,
                    comment=comment,
                    storage_key=upload.key,
                    name=upload.name,
                    content_type=upload.content_type,
                    size=upload.size,
                )
                for upload in stored
            )
            Ticket.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    except Exception:
        _discard(stored)  # nothing refers to them: the comment was not written
        raise
    return comment


def _announce(comment: TicketComment) -> None:
    """The customer hears of a public answer from the team (never of notes, nor of their own words)."""
    from tickets.tasks import notify_customer

    if comment.visibility == Visibility.PUBLIC and not comment.from_customer:
        notify_customer.delay_on_commit(comment.ticket_id, NotifyEvent.REPLY, comment.pk)


def ticket_reply(*, ticket: Ticket, author: Any, body: str, files: Sequence[IncomingFile] = ()) -> TicketComment:
    """An agent's (or a bot's, when ``author`` is a label) public answer to the customer."""
    from tickets.services.sla import sla_first_response_record

    user, label = (None, author) if isinstance(author, str) else (author, "")
    with transaction.atomic():
        comment = _add(ticket=ticket, visibility=Visibility.PUBLIC, body=body, files=files, author=user, label=label)
        history_record(ticket, author, "replied", new={"comment": comment.pk})
        sla_first_response_record(ticket=ticket, at=comment.created_at)
        _announce(comment)
    return comment


def ticket_note_add(*, ticket: Ticket, author: Any, body: str, files: Sequence[IncomingFile] = ()) -> TicketComment:
    """An internal note: the team sees it, the customer never does."""
    user, label = (None, author) if isinstance(author, str) else (author, "")
    with transaction.atomic():
        comment = _add(ticket=ticket, visibility=Visibility.INTERNAL, body=body, files=files, author=user, label=label)
        history_record(ticket, author, "noted", new={"comment": comment.pk})
    return comment


def ticket_customer_reply(
    *,
    ticket: Ticket,
    customer: Customer,
    body: str,
    files: Sequence[IncomingFile] = (),
    external_ref: str = "",
) -> TicketComment:
    """The customer wrote on their ticket (portal, or a channel linked to it): back to the team."""
    with transaction.atomic():
        comment = _add(
            ticket=ticket,
            visibility=Visibility.PUBLIC,
            body=body,
            files=files,
            customer=customer,
            label="customer",
            external_ref=external_ref,
        )
        history_record(ticket, "customer", "customer_replied", new={"comment": comment.pk})
        ticket_customer_replied(ticket=ticket)
    return comment
