"""Tenant A's agents never see tenant B's contacts, over services, REST and the staff socket."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from agents.models import AgentProfile
from callcenter.core.testing import TwoTenants, assert_cross_tenant_404
from routing.models import Offer, RoutedContact
from routing.services.rounds import routing_round
from routing.tests.factories import agent, customer_writes


def test_a_round_in_one_tenant_offers_only_its_own_agents(two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.b):
        agent("b-agent", {"after-sales": 5})
    with tenant_context(two_tenants.a):
        customer_writes("退货")
        assert routing_round() == []  # tenant A has no available agent; B's does not count
        assert RoutedContact.objects.get().status == "waiting"
    with tenant_context(two_tenants.b):
        assert routing_round() == [] and not Offer.objects.exists() and not RoutedContact.objects.exists()


def test_an_offer_of_tenant_a_is_not_found_from_tenant_b(two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.a):
        profile = AgentProfile.objects.get(user__username="agent")
        from routing.services.presence import agent_state_change

        agent_state_change(agent=profile, state="available")
        customer_writes("在吗")
        (offer,) = routing_round()
    assert_cross_tenant_404(two_tenants, f"/api/v1/offers/{offer.pk}/accept/", method="post")
    with tenant_context(two_tenants.a):
        assert Offer.objects.get(pk=offer.pk).status == "ringing"
