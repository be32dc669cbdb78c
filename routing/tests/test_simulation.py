"""The simulator from a tenant's own data: the command and the admin's dry run."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants
from routing.models import Queue, RoutingRule
from routing.services.simulation import SimulationInput, live_rules, scenario_for
from routing.tests.factories import agent, customer_writes


def test_the_synthetic_peak_of_1500_agents_replays_within_a_minute() -> None:
    out = StringIO()
    call_command("simulate_routing", "--synthetic-peak", stdout=out)
    text = out.getvalue()
    assert "after-sales" in text and "occupancy" in text
    seconds = float(text.rsplit("replayed in ", 1)[1].split()[0])
    assert seconds < 60


def _history(two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.a):
        agent("sim-a", {"after-sales": 3, "logistics": 2})
        agent("sim-b", {"logistics": 3}, chats=2)
        for n in range(6):
            customer_writes(f"我要退货 {n}")
        for n in range(4):
            customer_writes(f"快递到哪了 {n}")


def test_the_scenario_reroutes_history_with_the_rules_given(two_tenants: TwoTenants) -> None:
    _history(two_tenants)
    with tenant_context(two_tenants.a):
        after_sales, logistics = (Queue.objects.get(code=code) for code in ("after-sales", "logistics"))
        options = SimulationInput(history_days=1)
        scenario, seen = scenario_for(live_rules(), options)
        rates = {spec.name: spec.arrivals_per_hour[0] for spec in scenario.queues}
        assert seen == 10 and rates[str(after_sales)] == 6 and rates[str(logistics)] == 4
        # A draft that sends everything to logistics: the same ten contacts, all in one queue.
        draft = RoutingRule.objects.create(name="全部物流", queue=logistics, is_active=False)
        scenario, _ = scenario_for([draft], options)
        rates = {spec.name: spec.arrivals_per_hour[0] for spec in scenario.queues}
        assert rates[str(logistics)] == 10 and rates[str(after_sales)] == 0
        assert sum(template.count for template in scenario.agents) == 3  # two made here, one by the fixture


def test_the_command_on_a_tenant_and_its_bad_input(two_tenants: TwoTenants) -> None:
    _history(two_tenants)
    out = StringIO()
    call_command("simulate_routing", "--schema", two_tenants.a.schema_name, "--days", "1", stdout=out)
    assert "the busiest hour of 10 past contacts" in out.getvalue()
    with pytest.raises(CommandError, match="separated by commas"):
        call_command("simulate_routing", "--schema", two_tenants.a.schema_name, "--rules", "a,b")
    with pytest.raises(CommandError, match="do not exist"):
        call_command("simulate_routing", "--schema", two_tenants.a.schema_name, "--rules", "99999")
    with pytest.raises(CommandError, match="--schema"):
        call_command("simulate_routing")


def test_the_admin_dry_run_compares_draft_rules_and_changes_nothing(two_tenants: TwoTenants) -> None:
    _history(two_tenants)
    with tenant_context(two_tenants.a):
        logistics = Queue.objects.get(code="logistics")
        draft = RoutingRule.objects.create(name="<i>全部物流</i>", queue=logistics, is_active=False)
        before = list(RoutingRule.objects.values_list("pk", "is_active", "position"))
    client = two_tenants.client("a")
    form = {"action": "simulate_selected_rules", "_selected_action": [draft.pk]}
    page = client.post("/admin/routing/routingrule/", form, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Run the dry run" in page and "&lt;i&gt;全部物流&lt;/i&gt;" in page
    run = {**form, "run": "1", "days": "1", "volume": "2", "per_hour": "600", "agents": "1", "patience": "180"}
    page = client.post("/admin/routing/routingrule/", run, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Replayed from 10 past contacts" in page and "service level" in page
    bad = {**run, "volume": "-1"}
    page = client.post("/admin/routing/routingrule/", bad, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Replayed from" not in page and "greater than or equal to 0.1" in page
    with tenant_context(two_tenants.a):
        assert list(RoutingRule.objects.values_list("pk", "is_active", "position")) == before
