"""`make run` seeds the demo tenant with this command; running it twice changes nothing."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client
from django_tenants.utils import tenant_context

from tenants.models import Reseller, Tenant


def test_seed_demo_makes_a_working_demo_and_is_idempotent(platform: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())
    assert "http://demo.localhost:8000/admin/" in out.getvalue()
    demo = Tenant.objects.get(subdomain="demo")
    assert demo.status == "active" and demo.reseller == Reseller.objects.get()
    with tenant_context(demo):
        from agents.models import AgentProfile

        agents = {
            p.user.username: dict(p.skill_levels.values_list("skill__code", "level"))
            for p in AgentProfile.objects.all()
        }
    assert agents == {
        "agent1": {"vip": 4, "after-sales": 4},
        "agent2": {"after-sales": 3, "logistics": 4},
        "agent3": {"pre-sales": 4, "after-sales": 2},
    }
    with tenant_context(demo):
        from channels_app.models import Channel

        assert list(Channel.objects.values_list("kind", "name")) == [("web_widget", "官网在线客服")]
    assert "/shop-demo/" in out.getvalue()
    assert b"data-channel=" in Client(HTTP_HOST="demo.localhost").get("/shop-demo/").content
    client = Client(HTTP_HOST="demo.localhost")
    assert client.post("/accounts/login/", {"username": "agent1", "password": "demo-pass-2026"}).status_code == 302
