"""The customer portal's pages: sign-in (a code, or WeChat), home, orders and their address, ticket links.

Pages are server-rendered and work without JavaScript. Every page is ``portal_page`` (never
cached, strict CSP); private ones are ``customer_required``. Another customer's order or ticket
is 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from callcenter.core.errors import ConflictError, NotFoundError, ServiceError
from callcenter.core.tenancy import current_schema, require_tenant
from callcenter.core.throttle import client_ip
from customers.models import Customer, Order
from customers.services.addresses import (
    OrderChangedMeanwhile,
    address_validate,
    order_address_change,
    order_address_changeable,
    order_address_version,
)
from portal.auth import (
    PENDING_SESSION_KEY,
    customer_required,
    portal_customer,
    portal_page,
    portal_sign_in,
    portal_sign_out,
    safe_next,
    sign_in_url,
)
from portal.forms import ADDRESS_FIELDS, AddressForm, CodeForm, SignInForm
from portal.links import portal_link_read
from portal.selectors import (
    order_lines,
    portal_order_get,
    portal_order_list,
    portal_ticket_for_link,
    portal_ticket_list,
    portal_wechat_channel,
)
from portal.services import (
    CodeNotSent,
    CodeRefused,
    Destination,
    TooManyRequests,
    sign_in_code_send,
    sign_in_code_verify,
)


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    base = {"tenant": require_tenant(), "signed_in": portal_customer(request)}
    return render(request, template, base | context, status=status)


def error_page(request: HttpRequest, message: str, *, status: int, title: str = "") -> HttpResponse:
    return render_page(request, "portal/error.html", {"message": message, "title": title}, status=status)


def not_found(request: HttpRequest) -> HttpResponse:
    return error_page(request, _("There is nothing here, or it is not yours to see."), status=404, title=_("Not found"))


def _too_many(response: HttpResponse, exc: TooManyRequests) -> HttpResponse:
    response["Retry-After"] = str(max(1, exc.retry_after))
    return response


# --- sign-in ----------------------------------------------------------------------------------


def _wechat_sign_in_url(request: HttpRequest, next_path: str) -> str | None:
    """Inside WeChat, with an official account set up for it: the OAuth start URL that returns to ``next_path``."""
    if "MicroMessenger" not in request.headers.get("User-Agent", ""):
        return None
    channel = portal_wechat_channel()
    if channel is None:
        return None
    start = reverse("channels-wechat-oauth-start", args=[channel.pk])
    return f"{start}?{urlencode({'scope': 'snsapi_base', 'next': next_path})}"


def _pending(request: HttpRequest) -> tuple[Destination, str] | None:
    """The address a code was sent to in this session, and where to go after, if any."""
    value = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(value, dict) or value.get("schema") != current_schema():
        return None
    kind, address = value.get("kind"), value.get("value")
    if kind not in ("phone", "email") or not isinstance(address, str):
        return None
    return Destination(kind, address), safe_next(value.get("next"))


def _sign_in_page(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    minutes = max(1, (settings.PORTAL_CODE_TTL_S + 59) // 60)
    return render_page(request, "portal/sign_in.html", context | {"code_minutes": minutes}, status=status)


@portal_page
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_path = safe_next(request.POST.get("next") or request.GET.get("next"))
    if portal_customer(request) is not None:
        return redirect(next_path)
    wechat_url = _wechat_sign_in_url(request, next_path)
    # Inside WeChat the account signs the customer in silently; not right after signing out, though.
    if request.method == "GET" and wechat_url and "signed_out" not in request.GET and "form" not in request.GET:
        return redirect(wechat_url)
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            destination: Destination = form.cleaned_data["destination"]
            try:
                sign_in_code_send(destination=destination, ip=client_ip(request))
            except ValidationError as exc:
                form.add_error("destination", exc.messages)
            except TooManyRequests as exc:
                pending = _pending(request)
                if exc.reason == "interval" and pending is not None and pending[0] == destination:
                    return redirect("portal:sign-in-code")  # back and submitted again: the code sent still works
                form.add_error(None, exc.message)
                context = {"form": form, "next": next_path, "wechat_url": wechat_url}
                return _too_many(_sign_in_page(request, context, status=429), exc)
            except CodeNotSent as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                request.session[PENDING_SESSION_KEY] = {
                    "kind": destination.kind,
                    "value": destination.value,
                    "next": next_path,
                    "schema": current_schema(),
                }
                return redirect("portal:sign-in-code")
    return _sign_in_page(request, {"form": form, "next": next_path, "wechat_url": wechat_url}, status=status)


def _code_page(
    request: HttpRequest, destination: Destination, form: CodeForm, *, status: int = 200, exc: Exception | None = None
) -> HttpResponse:
    context = {
        "form": form,
        "masked": destination.masked,
        "error": exc.message if isinstance(exc, ServiceError) else "",
    }
    response = render_page(request, "portal/sign_in_code.html", context, status=status)
    return _too_many(response, exc) if isinstance(exc, TooManyRequests) else response


@portal_page
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return redirect("portal:sign-in")
    destination, next_path = pending
    form = CodeForm(request.POST or None)
    if request.method == "GET":
        return _code_page(request, destination, form)
    if not form.is_valid():
        return _code_page(request, destination, form, status=400)
    try:
        customer = sign_in_code_verify(destination=destination, code=form.cleaned_data["code"], ip=client_ip(request))
    except CodeRefused as exc:
        form.add_error("code", exc.message)
        return _code_page(request, destination, form, status=400)
    except TooManyRequests as exc:
        return _code_page(request, destination, form, status=429, exc=exc)
    portal_sign_in(request, customer, method="code")
    return redirect(next_path)


@portal_page
@require_POST
def sign_in_resend(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return redirect("portal:sign-in")
    destination = pending[0]
    try:
        sign_in_code_send(destination=destination, ip=client_ip(request))
    except (TooManyRequests, CodeNotSent) as exc:
        return _code_page(request, destination, CodeForm(), status=exc.status_code, exc=exc)
    messages.success(request, _("A new code was sent. Only the newest code works."))
    return redirect("portal:sign-in-code")


@portal_page
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    portal_sign_out(request)
    return redirect(f"{reverse('portal:sign-in')}?signed_out=1")


# --- the customer's own things -------------------------------------------------------------------


@portal_page
@require_GET
@customer_required
def home(request: HttpRequest, customer: Customer) -> HttpResponse:
    return render_page(
        request,
        "portal/home.html",
        {"customer": customer, "tickets": portal_ticket_list(customer), "orders": portal_order_list(customer)},
    )


def _order_page(
    request: HttpRequest,
    order: Order,
    *,
    form: AddressForm | None = None,
    status: int = 200,
    conflict: str = "",
) -> HttpResponse:
    changeable = order_address_changeable(order)
    address = order.shipping_address if isinstance(order.shipping_address, dict) else {}
    if form is None and changeable:
        initial = {field: str(address.get(field) or "") for field in ADDRESS_FIELDS}
        form = AddressForm(initial=initial | {"version": order_address_version(order)})
    context = {
        "order": order,
        "lines": order_lines(order),
        "address": {field: str(address.get(field) or "") for field in ADDRESS_FIELDS},
        "changeable": changeable,
        "form": form,
        "conflict": conflict,
    }
    return render_page(request, "portal/order.html", context, status=status)


@portal_page
@require_GET
@customer_required
def order_detail(request: HttpRequest, customer: Customer, order_no: str) -> HttpResponse:
    try:
        order = portal_order_get(customer, order_no)
    except NotFoundError:
        return not_found(request)
    return _order_page(request, order)


def _already_saved(order: Order, address: dict[str, str]) -> bool:
    """Whether ``address`` is what the order holds now: a second submit of a change that went through."""
    try:
        return address_validate(address).as_dict() == order.shipping_address
    except ValidationError:
        return False


@portal_page
@require_POST
@customer_required
def order_address(request: HttpRequest, customer: Customer, order_no: str) -> HttpResponse:
    try:
        order = portal_order_get(customer, order_no)
    except NotFoundError:
        return not_found(request)
    form = AddressForm(request.POST)
    if not form.is_valid():
        return _order_page(request, order, form=form, status=400)
    try:
        order_address_change(
            order=order,
            address=form.address(),
            expected_version=form.cleaned_data["version"],
            actor=f"customer:{customer.pk}",
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _order_page(request, order, form=form, status=400)
    except ConflictError as exc:
        current = portal_order_get(customer, order_no)
        message = exc.message
        if isinstance(exc, OrderChangedMeanwhile) and _already_saved(current, form.address()):
            message = _("This new address was already saved. There is no need to send it again.")
        return _order_page(request, current, status=409, conflict=message)
    messages.success(request, _("The shipping address was changed."))
    return redirect("portal:order", order_no=order.order_no)


# --- links sent by agents (M19) ----------------------------------------------------------------


@portal_page
@require_GET
def ticket_link(request: HttpRequest, token: str) -> HttpResponse:
    target = portal_link_read(token)
    if target is None:
        return error_page(
            request, _("This link is not valid. Check that it was copied whole."), status=400, title=_("Invalid link")
        )
    if target.expired:
        return error_page(
            request,
            _("This link has expired. Sign in to see your tickets, or ask us for a new link."),
            status=410,
            title=_("Link expired"),
        )
    customer = portal_customer(request)
    if customer is None:
        return redirect(sign_in_url(request.path))
    try:
        ticket = portal_ticket_for_link(customer, ticket_id=target.ticket_id, link_customer_id=target.customer_id)
    except NotFoundError:
        return not_found(request)
    return redirect("portal:ticket", number=ticket.number)
