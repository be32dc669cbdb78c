"""The demo shop page embeds the tenant's first widget, or says how to add one."""

from __future__ import annotations

from django.test import Client

from callcenter.core.testing import TwoTenants, host_of
from channels_app.testing import widget_channel


def test_the_demo_shop_embeds_the_widget_or_explains_how_to_add_one(two_tenants: TwoTenants) -> None:
    empty = Client(HTTP_HOST=host_of(two_tenants.b)).get("/shop-demo/", HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 200 and b"widget.js" not in empty.content
    assert b"/admin/channels_app/channel/add/" in empty.content
    channel = widget_channel(two_tenants.a)
    page = Client(HTTP_HOST=host_of(two_tenants.a)).get("/shop-demo/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'/static/widget/widget.js" data-channel="{channel.pk}" async></script>' in html
    assert "&lt;script src=" in html  # the snippet to copy is shown as text
