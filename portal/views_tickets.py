"""The customer's ticket pages: the timeline (public replies and status changes), replying with
photos, the satisfaction rating, and the public attachments. Only for the ticket's owner: another
customer's ticket number is 404 on every route."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from callcenter.core.errors import ConflictError, NotFoundError
from callcenter.core.files import stored_file_response
from customers.models import Customer
from portal.auth import customer_required, portal_page
from portal.forms import TicketRatingForm, TicketReplyForm
from portal.selectors import portal_ticket_get, portal_ticket_timeline
from portal.views import not_found, render_page
from tickets.domain.workflow import CLOSED, RESOLVED
from tickets.models import Ticket, TicketRating
from tickets.selectors import ticket_attachment_get
from tickets.services.comments import FILES_PER_COMMENT, IncomingFile, ticket_customer_reply
from tickets.services.ratings import ticket_rate


def _page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: TicketReplyForm | None = None,
    rating_form: TicketRatingForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    rating = TicketRating.objects.filter(ticket=ticket).first()
    rateable = ticket.status in (RESOLVED, CLOSED) and rating is None
    context: dict[str, Any] = {
        "ticket": ticket,
        "timeline": portal_ticket_timeline(ticket),
        "reply_form": None
        if ticket.status == CLOSED
        else reply_form or TicketReplyForm(initial={"token": secrets.token_hex(16)}),
        "rating": rating,
        "rating_form": (rating_form or TicketRatingForm()) if rateable else None,
        "error": error,
        "files_max": FILES_PER_COMMENT,
    }
    return render_page(request, "portal/ticket.html", context, status=status)


def _ticket_or_none(customer: Customer, number: int) -> Ticket | None:
    try:
        return portal_ticket_get(customer, number)
    except NotFoundError:
        return None


@portal_page
@require_GET
@customer_required
def ticket_detail(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    ticket = _ticket_or_none(customer, number)
    return not_found(request) if ticket is None else _page(request, ticket)


@portal_page
@require_POST
@customer_required
def ticket_reply(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    ticket = _ticket_or_none(customer, number)
    if ticket is None:
        return not_found(request)
    form = TicketReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, ticket, reply_form=form, status=400)
    uploads = request.FILES.getlist("photos")
    files = [IncomingFile.from_upload(upload) for upload in uploads]
    try:
        ticket_customer_reply(
            ticket=ticket,
            customer=customer,
            body=form.cleaned_data["body"],
            files=files,
            external_ref=f"portal:{ticket.pk}:{form.cleaned_data['token']}",
        )
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            form.add_error("photos" if field in ("file", "files") else "body", problems)
        return _page(request, ticket, reply_form=form, status=400)
    except ConflictError as exc:
        return _page(request, ticket, reply_form=form, error=exc.message, status=409)
    except IntegrityError:
        pass  # the same form sent twice: the first one is stored, which is what the customer wanted
    messages.success(request, _("Your message was sent. We will answer here and on the channel you used."))
    return redirect("portal:ticket", number=ticket.number)


@portal_page
@require_POST
@customer_required
def ticket_rating(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    ticket = _ticket_or_none(customer, number)
    if ticket is None:
        return not_found(request)
    form = TicketRatingForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, rating_form=form, status=400)
    try:
        ticket_rate(
            ticket=ticket, customer=customer, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
        )
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return _page(request, ticket, rating_form=form, status=400)
    except ConflictError as exc:
        return _page(request, ticket, error=exc.message, status=409)
    messages.success(request, _("Thank you for your rating!"))
    return redirect("portal:ticket", number=ticket.number)


@portal_page
@require_GET
@customer_required
def ticket_attachment(request: HttpRequest, customer: Customer, number: int, attachment_id: int) -> HttpResponseBase:
    ticket = _ticket_or_none(customer, number)
    if ticket is None:
        return not_found(request)
    try:
        attachment = ticket_attachment_get(ticket, attachment_id, public_only=True)
    except NotFoundError:
        return not_found(request)
    return stored_file_response(
        attachment.storage_key,
        attachment.content_type,
        attachment.name,
        as_attachment=True,
        cache_control="private, no-store",
    )
