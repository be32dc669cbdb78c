"""The customer's satisfaction rating (CSAT, 1-5 with a comment), once per ticket, after it is resolved."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from customers.models import Customer
from tickets.domain.workflow import CLOSED, RESOLVED
from tickets.models import Ticket, TicketRating
from tickets.services.history import history_record

COMMENT_MAX = 1000


class RatingNotOpen(ConflictError):
    code = "rating_not_open"


class AlreadyRated(ConflictError):
    code = "already_rated"


def ticket_rate(*, ticket: Ticket, customer: Customer, score: object, comment: str = "") -> TicketRating:
    """Record the customer's rating. Only for a resolved or closed ticket, and only once."""
    try:
        value = int(str(score))
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError({"score": [_("Choose a score from 1 to 5.")]})
    text = str(comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": [_("At most %(max)d characters.") % {"max": COMMENT_MAX}]})
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status not in (RESOLVED, CLOSED):
            raise RatingNotOpen(_("You can rate the service once your ticket is resolved."))
        try:
            with transaction.atomic():
                rating = TicketRating.objects.create(ticket=locked, score=value, comment=text)
        except IntegrityError:
            raise AlreadyRated(_("You have already rated this ticket. Thank you!")) from None
        history_record(locked, "customer", "rated", "rating", None, value)
    return rating
