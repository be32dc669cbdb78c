"""The demo shop: a product page of the tenant's own, with its web chat widget embedded as a shop would."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from channels_app.models import Channel, ChannelKind


@require_GET
def shop_demo(request: HttpRequest) -> HttpResponse:
    channel = Channel.objects.filter(kind=ChannelKind.WEB_WIDGET, is_active=True).order_by("pk").first()
    script_url = request.build_absolute_uri(static("widget/widget.js"))
    return render(request, "channels_app/shop_demo.html", {"channel": channel, "script_url": script_url})
