"""Identity resolution: strong keys link, weak matches become suggestions, concurrency makes one customer."""

from __future__ import annotations

import threading

from django.db import connections
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, make_tenant
from customers.models import ChannelIdentity, Customer, MergeSuggestion
from customers.services.identity import Contact, contact_resolve


def test_the_same_channel_id_is_the_same_customer(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        first = contact_resolve(Contact(kind="web_visitor", external_id="v-1", display_name="张三"))
        again = contact_resolve(Contact(kind="web_visitor", external_id="v-1"))
        assert first.created and not again.created
        assert first.customer.pk == again.customer.pk
        assert first.customer.tier.code == "normal"  # seeded default tiers


def test_a_wechat_unionid_links_the_official_account_and_the_mini_program(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        oa = contact_resolve(
            Contact(
                kind="wechat_openid",
                namespace="wx-oa",
                external_id="o-oa-1",
                wechat_unionid="u-123",
                display_name="李四",
            )
        )
        mp = contact_resolve(
            Contact(kind="wechat_openid", namespace="wx-mp", external_id="o-mp-9", wechat_unionid="u-123")
        )
        assert oa.customer.pk == mp.customer.pk and not mp.created
        kinds = set(ChannelIdentity.objects.filter(customer=oa.customer).values_list("kind", "namespace"))
        assert kinds == {("wechat_openid", "wx-oa"), ("wechat_openid", "wx-mp"), ("wechat_unionid", "")}


def test_a_verified_phone_links_an_app_user_to_the_wechat_customer(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        wechat = contact_resolve(
            Contact(kind="wechat_openid", namespace="wx", external_id="o-1", phone="13812345678", phone_verified=True)
        )
        app = contact_resolve(
            Contact(kind="app_user", external_id="app-42", phone="+86 138 1234 5678", phone_verified=True)
        )
        assert app.customer.pk == wechat.customer.pk
        assert app.customer.phones == ["+8613812345678"]


def test_an_unverified_phone_or_a_name_only_suggests_a_merge(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        first = contact_resolve(
            Contact(kind="web_visitor", external_id="v-1", display_name="王五", phone="13900001111")
        )
        second = contact_resolve(
            Contact(kind="web_visitor", external_id="v-2", display_name="王五", phone="139 0000 1111")
        )
        assert second.created and second.customer.pk != first.customer.pk
        suggestion = MergeSuggestion.objects.get()
        assert (suggestion.customer_id, suggestion.candidate_id) == (second.customer.pk, first.customer.pk)
        assert suggestion.reason == "same_phone" and suggestion.status == "open"


def test_a_malformed_phone_does_not_stop_the_contact(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        result = contact_resolve(Contact(kind="web_visitor", external_id="v-1", phone="not a phone"))
        assert result.created and result.customer.phones == []


def test_names_with_markup_are_kept_as_text(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        name = '<script>alert("x")</script>小明'
        result = contact_resolve(Contact(kind="web_visitor", external_id="v-1", display_name=name))
        assert Customer.objects.get(pk=result.customer.pk).display_name == name


def test_concurrent_first_contacts_make_exactly_one_customer(platform: None) -> None:
    tenant = make_tenant("shop-one")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def contact() -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                contact_resolve(Contact(kind="app_user", external_id="app-1", display_name="赵六"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=contact) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tenant_context(tenant):
        assert ChannelIdentity.objects.filter(kind="app_user", external_id="app-1").count() == 1
        assert Customer.objects.count() == 1


def test_identities_do_not_cross_tenants(two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.a):
        a = contact_resolve(Contact(kind="wechat_unionid", external_id="u-1", display_name="A 的客户"))
    with tenant_context(two_tenants.b):
        b = contact_resolve(Contact(kind="wechat_unionid", external_id="u-1"))
        assert b.created
        assert Customer.objects.filter(display_name="A 的客户").count() == 0
    with tenant_context(two_tenants.a):
        assert Customer.objects.count() == 1 and a.customer.display_name == "A 的客户"
