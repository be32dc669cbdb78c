"""The desk's pages: who may open them, what they start from, and the screen-pop fragment
(escaped, in the reader's language, another tenant's customer not found)."""

from __future__ import annotations

import json

from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, make_user, tenant_client
from customers.models import ActivityEvent, Customer
from workbench.tests.test_screen_pop import _history


def _boot(html: str) -> dict:
    start = html.index('<script id="desk-boot" type="application/json">') + len(
        '<script id="desk-boot" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_an_agent_opens_the_desk_with_state_offers_and_words_in_their_language(two_tenants: TwoTenants) -> None:
    agent = tenant_client(two_tenants.a, "agent")
    page = agent.get("/desk/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    boot = _boot(html)
    assert boot["user"]["is_agent"] and boot["desk"]["agent"]["state"] == "offline" and boot["desk"]["offers"] == []
    assert {q["name"] for q in boot["queues"]} >= {"售后", "物流"}
    assert boot["strings"]["send"] == "发送" and boot["strings"]["channels"]["app"]
    assert 'data-testid="callbar"' in html and "我的状态" in html
    english = _boot(agent.get("/desk/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert english["strings"]["send"] == "Send"


def test_the_desk_needs_a_sign_in_and_the_supervisor_view_needs_staff(two_tenants: TwoTenants) -> None:
    anonymous = tenant_client(two_tenants.a)
    assert anonymous.get("/desk/")["Location"].startswith("/accounts/login/")
    agent = tenant_client(two_tenants.a, "agent")
    assert agent.get("/desk/supervisor/").status_code == 403
    assert tenant_client(two_tenants.a, "staff").get("/desk/supervisor/").status_code == 200


def test_the_screen_pop_fragment_shows_the_wechat_chat_and_app_activity_escaped(
    two_tenants: TwoTenants,
) -> None:
    customer_id, current = _history(two_tenants.a, chats=2, orders=2)
    with tenant_context(two_tenants.a):
        ActivityEvent.objects.create(customer_id=customer_id, kind="submitted_return_request", external_id="r-1",
                                     occurred_at=Customer.objects.get(pk=customer_id).created_at,
                                     data={"order_no": "E10000", "reason": "<img src=x onerror=alert(1)>"})  # fmt: skip
    agent = tenant_client(two_tenants.a, "agent")
    html = agent.get(f"/desk/customers/{customer_id}/screen-pop/?conversation={current}",
                     HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    assert "周杰" in html and "杯子漏水&lt;b&gt;" in html  # the WeChat chat's lines, escaped
    assert "提交了退货申请" in html and "<img src=x" not in html
    assert "微信公众号" in html or "WeChat" in html
    english = agent.get(f"/desk/customers/{customer_id}/screen-pop/?conversation={current}", HTTP_ACCEPT_LANGUAGE="en")
    assert "submitted a return request" in english.content.decode()


def test_another_tenants_customer_has_no_screen_pop(two_tenants: TwoTenants) -> None:
    customer_id, _current = _history(two_tenants.a, chats=1, orders=1)
    with tenant_context(two_tenants.b):
        assert not Customer.objects.filter(pk=customer_id).exists()
    other = tenant_client(two_tenants.b, "agent")
    assert other.get(f"/desk/customers/{customer_id}/screen-pop/").status_code == 404
    make_user(two_tenants.a, "nobody")  # signed in, neither agent nor staff
    assert tenant_client(two_tenants.a, "nobody").get(f"/desk/customers/{customer_id}/screen-pop/").status_code == 404
