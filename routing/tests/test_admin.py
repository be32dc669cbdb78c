"""Queues and rules edited in the admin are validated; a contact's page explains the decision."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants
from routing.models import Queue, QueueStep, RoutingRule
from routing.services.offers import offer_accept
from routing.services.rounds import routing_round
from routing.tests.factories import agent, customer_writes, user_of


def _queue_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": "returns-night",
        "name": "夜间退货",
        "name_en": "night returns",
        "priority": "5",
        "strategy": "longest_available",
        "sla_seconds": "20",
        "sla_percent": "80",
        "max_wait_seconds": "900",
        "offer_timeout_seconds": "15",
        "after_work_seconds": "15",
        "overflow_skills": "",
        "overflow_on_ratio": "3",
        "overflow_off_ratio": "1",
        "overflow_hold_seconds": "60",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "1",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-after_seconds": "0",
        "steps-0-skills": "vip:2 after-sales",
        "steps-1-after_seconds": "45",
        "steps-1-skills": "after-sales:1",
    }
    data.update(overrides)
    return data


def test_a_queue_with_readable_known_skills_is_saved_in_normal_form(two_tenants: TwoTenants) -> None:
    client = two_tenants.client("a")
    response = client.post("/admin/routing/queue/add/", _queue_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(two_tenants.a):
        queue = Queue.objects.get(code="returns-night")
        assert list(queue.steps.values_list("after_seconds", "skills")) == [
            (0, "after-sales:1 vip:2"),
            (45, "after-sales:1"),
        ]


def test_bad_queues_are_refused_with_a_reason_and_nothing_saved(two_tenants: TwoTenants) -> None:
    client = two_tenants.client("a")
    cases = [
        ({"steps-0-skills": "vip:9"}, "Cannot read"),
        ({"steps-0-skills": "flying:2"}, "No skill with the code flying"),
        ({"steps-0-after_seconds": "30"}, "must start at 0 seconds"),
        ({"steps-1-after_seconds": "0"}, "duplicate data for after_seconds"),
        ({"overflow_off_ratio": "5"}, "Must not be above the overflow mark"),
    ]
    for overrides, message in cases:
        response = client.post("/admin/routing/queue/add/", _queue_form(**overrides), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200 and message in response.content.decode(), overrides
    with tenant_context(two_tenants.a):
        assert not Queue.objects.filter(code="returns-night").exists()
        assert not QueueStep.objects.filter(after_seconds=45).exists()


def test_a_rule_on_business_hours_needs_its_times(two_tenants: TwoTenants) -> None:
    client = two_tenants.client("a")
    with tenant_context(two_tenants.a):
        queue = Queue.objects.get(code="after-sales").pk
    form = {"position": "5", "name": "夜间", "is_active": "on", "hours_mode": "closed", "queue": queue}
    form |= {"priority_boost": "0", "topics": "", "keywords": ""}
    response = client.post("/admin/routing/routingrule/add/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert "Give the opening and closing times" in response.content.decode()
    form |= {"hours_start": "21:00", "hours_end": "09:00", "weekdays": ["0", "1", "2", "3", "4"]}
    assert client.post("/admin/routing/routingrule/add/", form).status_code == 302
    with tenant_context(two_tenants.a):
        rule = RoutingRule.objects.get(name="夜间")
        assert rule.weekdays == [0, 1, 2, 3, 4] and rule.hours_mode == "closed"


def test_the_contact_page_explains_rule_step_and_candidates_with_names_escaped(two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.a):
        RoutingRule.objects.filter(name__startswith="VIP 退换货（关键词）").update(name="<b>VIP</b> 退货")
        best = agent("<script>x</script>", {"vip": 5, "after-sales": 5})
        agent("second", {"vip": 3, "after-sales": 3})
        contact = customer_writes("我要退货", tier="vip")
        (offer,) = routing_round()
        offer_accept(offer_id=offer.pk, user=user_of(best))
    page = (
        two_tenants.client("a")
        .get(f"/admin/routing/routedcontact/{contact.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "&lt;b&gt;VIP&lt;/b&gt; 退货" in page and "<b>VIP</b>" not in page
    assert "&lt;script&gt;x&lt;/script&gt; ✓" in page and "<script>x</script>" not in page
    assert "second" in page  # the candidate not chosen is listed too
    assert "tier ✓" in page and "keyword ✓" in page
