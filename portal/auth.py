"""Who is signed in to the portal: a customer, kept in the session apart from staff sign-in.

The session holds ``PORTAL_SESSION_KEY`` = ``{"id": customer id, "schema": the tenant's schema,
"method": "code" | "wechat"}``. The id is the profile that proved itself; merges are followed on
every request, so a merge shows the survivor's data and an un-merge gives the person their own
profile back. A value bound to another schema is ignored and dropped. WeChat OAuth
(``channels_app.views_wechat_oauth``) leaves ``wechat_customer_id`` in the session: that counts as
signed in too, and is turned into the portal's own key on first use.

A staff user's sign-in does not sign anyone in here, and a portal sign-in gives no staff rights:
``request.user`` is never looked at.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

import structlog
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache

from callcenter.core.tenancy import current_schema
from channels_app.views_wechat_oauth import SESSION_CUSTOMER as WECHAT_SESSION_KEY
from customers.models import Customer
from customers.services.identity import surviving

log = structlog.get_logger("callcenter.portal")

PORTAL_SESSION_KEY = "portal_customer"
PENDING_SESSION_KEY = "portal_sign_in"  # the address a code was sent to, before it is typed in
PORTAL_PREFIX = "/portal/"
MAX_NEXT_CHARS = 1000
# Pages only load our own files: no inline script or style, nothing from elsewhere, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

P = ParamSpec("P")


def portal_sign_in(request: HttpRequest, customer: Customer, *, method: str) -> None:
    request.session.cycle_key()  # a new session id on sign-in: a planted one is worth nothing
    request.session.pop(PENDING_SESSION_KEY, None)
    request.session[PORTAL_SESSION_KEY] = {"id": customer.pk, "schema": current_schema(), "method": method}


def portal_sign_out(request: HttpRequest) -> None:
    """Forget the portal customer (and the WeChat sign-in behind it); a staff sign-in stays."""
    for key in (PORTAL_SESSION_KEY, WECHAT_SESSION_KEY, PENDING_SESSION_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def _signed_in_id(request: HttpRequest) -> int | None:
    session = request.session
    value = session.get(PORTAL_SESSION_KEY)
    if isinstance(value, dict):
        if value.get("schema") == current_schema() and isinstance(value.get("id"), int):
            return int(value["id"])
        log.warning("portal.session_tenant_mismatch", session_schema=value.get("schema"))
        session.pop(PORTAL_SESSION_KEY, None)
        return None
    wechat_id = session.get(WECHAT_SESSION_KEY)
    if isinstance(wechat_id, int):
        # Sessions are stored in the tenant's own schema, so this row was written on this tenant.
        session[PORTAL_SESSION_KEY] = {"id": wechat_id, "schema": current_schema(), "method": "wechat"}
        log.info("portal.sign_in", method="wechat", customer=wechat_id)
        return wechat_id
    return None


def portal_customer(request: HttpRequest) -> Customer | None:
    """The signed-in customer (the surviving profile after merges), or None."""
    cached: Any = getattr(request, "_portal_customer", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    customer_id = _signed_in_id(request)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id is not None else None
    if customer_id is not None and customer is None:
        portal_sign_out(request)
    found = surviving(customer) if customer is not None else None
    request._portal_customer = found  # type: ignore[attr-defined]
    return found


def safe_next(candidate: object, default: str = PORTAL_PREFIX) -> str:
    """``candidate`` when it is a portal path on this host; else ``default`` (no open redirect)."""
    if (
        isinstance(candidate, str)
        and candidate.startswith(PORTAL_PREFIX)
        and len(candidate) <= MAX_NEXT_CHARS
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts=set(), require_https=False)
    ):
        return candidate
    return default


def sign_in_url(next_path: str) -> str:
    return f"{reverse('portal:sign-in')}?{urlencode({'next': next_path})}"


def portal_page(view: Callable[P, HttpResponseBase]) -> Callable[P, HttpResponseBase]:
    """Every portal page: never cached (private data, one-time forms) and under a strict CSP."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        response = view(*args, **kwargs)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return never_cache(wrapper)


def customer_required(
    view: Callable[Concatenate[HttpRequest, Customer, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Pass the signed-in customer to the view, or send the browser to sign in and come back."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        customer = portal_customer(request)
        if customer is None:
            return redirect(sign_in_url(request.get_full_path()))
        return view(request, customer, *args, **kwargs)

    return wrapper
