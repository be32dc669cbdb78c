"""WeChat OAuth2 web authorization for official accounts: a page opened inside WeChat learns who the user is.

``start`` sends the browser to WeChat's authorize page with a ``state`` that is signed (keyed with
the server's secret and salted with the tenant's schema), dated (10 minutes), bound to this
browser's session and good once. ``callback`` checks it before anything else, exchanges the code
for the user's openid (and, for ``snsapi_userinfo``, nickname and unionid), finds or creates the
customer, keeps the customer's id in the session under ``wechat_customer_id`` and returns to
``next``, a path on this host. Any failure answers 400 (502 when WeChat cannot be reached) and
writes nothing.

WeChat only passes a ``state`` of letters and digits, at most 128 bytes, back: so the state is
``nonce | issued-at | HMAC`` in hex (Django's ``salted_hmac``, as ``django.core.signing`` uses,
whose own output has ``:``, ``-`` and ``_`` in it), and what it stands for (the scope, ``next``)
stays in the session.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import structlog
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from callcenter.core.tenancy import current_schema, require_tenant, tenant_key
from callcenter.integrations import wechat
from callcenter.integrations.wechat import WeChatApiError
from channels_app.adapters.wechat.tokens import WeChatCredentials, wechat_credentials_of
from channels_app.models import Channel, ChannelKind
from customers.models import IdentityKind
from customers.services.identity import Contact, contact_resolve

log = structlog.get_logger(__name__)

SCOPES = ("snsapi_base", "snsapi_userinfo")
STATE_MAX_AGE_S = 600
STATE_CLOCK_SKEW_S = 60
SESSION_PENDING = "wechat_oauth_pending"
SESSION_CUSTOMER = "wechat_customer_id"
MAX_PENDING = 5  # sign-ins started and not finished, per session (several tabs)
MAX_NEXT_CHARS = 1000

_STATE = re.compile(r"^([0-9a-f]{32})([0-9a-f]{8})([0-9a-f]{40})\Z")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
_UNIONID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")


def _oauth_channel(channel_id: int) -> tuple[Channel, WeChatCredentials]:
    """The tenant's active official account with its AppID and AppSecret; anything else is 404.

    Mini programs identify users with wx.login, not with web authorization.
    """
    channel = Channel.objects.filter(pk=channel_id, kind=ChannelKind.WECHAT_OFFICIAL, is_active=True).first()
    credentials = wechat_credentials_of(channel) if channel is not None else None
    if channel is None or credentials is None:
        raise Http404
    return channel, credentials


def _safe_next(candidate: object) -> str:
    """``candidate`` when it is a path on this host, else "/" (no open redirect)."""
    if not isinstance(candidate, str) or not candidate.startswith("/") or len(candidate) > MAX_NEXT_CHARS:
        return "/"
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=set(), require_https=False):
        return "/"
    return candidate


def _signature(nonce: str, issued: str, channel: Channel) -> str:
    key_salt = f"channels_app.wechat-oauth:{current_schema()}"
    return salted_hmac(key_salt, f"{nonce}.{issued}.{channel.pk}", algorithm="sha256").hexdigest()[:40]


def _bad(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    return render(request, "channels_app/wechat_oauth_error.html", {"message": message}, status=status)


@never_cache
@require_GET
def wechat_oauth_start(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel, credentials = _oauth_channel(channel_id)
    scope = request.GET.get("scope", "snsapi_base")
    if scope not in SCOPES:
        return _bad(request, gettext("Unknown scope: use snsapi_base or snsapi_userinfo."))
    nonce, issued = secrets.token_hex(16), f"{int(time.time()):08x}"
    pending: dict[str, Any] = dict(request.session.get(SESSION_PENDING) or {})
    pending[nonce] = {"channel": channel.pk, "scope": scope, "next": _safe_next(request.GET.get("next", "/"))}
    while len(pending) > MAX_PENDING:  # dicts keep insertion order: the oldest goes first
        pending.pop(next(iter(pending)))
    request.session[SESSION_PENDING] = pending
    callback = request.build_absolute_uri(reverse("channels-wechat-oauth-callback", args=[channel.pk]))
    state = nonce + issued + _signature(nonce, issued, channel)
    return HttpResponseRedirect(
        wechat.oauth_authorize_url(app_id=credentials.app_id, redirect_uri=callback, scope=scope, state=state)
    )


def _state_take(request: HttpRequest, channel: Channel, state: str) -> dict[str, Any] | None:
    """What a good ``state`` stands for, burned so it cannot be used again; None for any other."""
    match = _STATE.match(state)
    if match is None:
        return None
    nonce, issued, signature = match.groups()
    if not constant_time_compare(signature, _signature(nonce, issued, channel)):
        return None
    age = time.time() - int(issued, 16)
    if age > STATE_MAX_AGE_S or age < -STATE_CLOCK_SKEW_S:
        return None
    pending = dict(request.session.get(SESSION_PENDING) or {})
    entry = pending.get(nonce)
    if not isinstance(entry, dict) or entry.get("channel") != channel.pk or entry.get("scope") not in SCOPES:
        return None  # started in another browser, or already used here
    # Two callbacks racing with one session both see the nonce: the cache lets one through.
    if not cache.add(tenant_key(require_tenant().pk, "wechat-oauth-state", nonce), 1, STATE_MAX_AGE_S * 2):
        return None
    del pending[nonce]
    request.session[SESSION_PENDING] = pending
    return entry


@never_cache
@require_GET
def wechat_oauth_callback(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel, credentials = _oauth_channel(channel_id)
    pending = _state_take(request, channel, request.GET.get("state", ""))
    if pending is None:
        log.info("wechat.oauth_bad_state", channel=channel.pk)
        return _bad(request, gettext("This sign-in link is not valid, was already used or has expired. Start again."))
    code = request.GET.get("code", "")
    if not _CODE.match(code):
        return _bad(request, gettext("WeChat did not confirm who you are (the authorization was declined). Try again."))
    try:
        token = wechat.oauth_code_exchange(app_id=credentials.app_id, app_secret=credentials.app_secret, code=code)
        nickname, unionid = "", token.unionid
        if pending["scope"] == "snsapi_userinfo":
            info = wechat.oauth_userinfo(access_token=token.access_token, openid=token.openid)
            if info.get("openid") not in (None, token.openid):
                raise WeChatApiError("userinfo is about another openid")
            nickname = str(info.get("nickname") or "").strip()[:100]
            unionid = str(info.get("unionid") or unionid)
    except WeChatApiError as exc:
        log.info("wechat.oauth_refused", channel=channel.pk, errcode=exc.errcode, error=str(exc)[:200])
        if exc.errcode is None and exc.retryable:
            return _bad(request, gettext("WeChat could not be reached. Try again in a moment."), status=502)
        return _bad(request, gettext("WeChat did not confirm who you are. Start again."))
    if not _OPENID.match(token.openid):
        log.warning("wechat.oauth_bad_openid", channel=channel.pk)
        return _bad(request, gettext("WeChat did not confirm who you are. Start again."))
    resolution = contact_resolve(
        Contact(
            kind=IdentityKind.WECHAT_OPENID,
            namespace=credentials.app_id,
            external_id=token.openid,
            wechat_unionid=unionid if _UNIONID.match(unionid) else "",
            display_name=nickname,
        )
    )
    request.session.cycle_key()  # the session now names a customer: a new key, so no one planted it
    request.session[SESSION_CUSTOMER] = resolution.customer.pk
    log.info("wechat.oauth_linked", channel=channel.pk, customer=resolution.customer.pk, scope=pending["scope"])
    return HttpResponseRedirect(_safe_next(pending.get("next")))
