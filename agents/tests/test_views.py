"""Signing in on a tenant's host lands on the home page, which shows the seats and opens the staff socket."""

from __future__ import annotations

from django.test import Client

from callcenter.core.testing import TEST_PASSWORD, TwoTenants, host_of


def test_sign_in_lands_on_home_with_seats_and_live_socket(two_tenants: TwoTenants) -> None:
    client = Client(HTTP_HOST=host_of(two_tenants.a))
    response = client.post("/accounts/login/", {"username": "agent", "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="seats-in-use">1<' in page and "/ws/staff/" in page
    assert "已占用坐席席位" in page


def test_home_needs_a_sign_in(two_tenants: TwoTenants) -> None:
    response = Client(HTTP_HOST=host_of(two_tenants.a)).get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
