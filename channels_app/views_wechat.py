"""WeChat's webhook: GET is the URL check (echostr), POST a pushed message or event.

WeChat answers nothing but "success" or a passive reply; it retries a push that got no answer
within 5 s, so the POST only verifies and stores, and a Celery task does the rest.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels_app.adapters.wechat.config import wechat_channel_get
from channels_app.adapters.wechat.inbound import (
    MAX_BODY_BYTES,
    WeChatRejected,
    wechat_echostr_check,
    wechat_push_receive,
)

TEXT = "text/plain; charset=utf-8"


@csrf_exempt  # WeChat's servers sign with the channel's token; there is no session to forge
@require_http_methods(["GET", "POST"])
def wechat_webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    if request.method == "POST" and _declared_length(request) > MAX_BODY_BYTES:
        return HttpResponse(gettext("The request body is too large."), status=413, content_type=TEXT)
    found = wechat_channel_get(channel_id)
    if found is None:
        raise Http404
    channel, config = found
    try:
        if request.method == "GET":
            echostr = wechat_echostr_check(channel=channel, config=config, params=request.GET)
            return HttpResponse(echostr, content_type=TEXT)
        try:
            body = request.body
        except RequestDataTooBig:
            return HttpResponse(gettext("The request body is too large."), status=413, content_type=TEXT)
        wechat_push_receive(channel=channel, config=config, params=request.GET, body=body)
    except WeChatRejected as exc:
        return HttpResponse(exc.message, status=exc.status_code, content_type=TEXT)
    return HttpResponse("success", content_type=TEXT)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
