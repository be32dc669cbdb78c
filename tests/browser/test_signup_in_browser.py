"""A company signs up in a real browser, watches the progress bar and signs into its new admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

pytestmark = pytest.mark.browser


def test_signup_in_chinese_then_sign_into_the_new_tenant(
    celery_worker: object, live_server: Any, browser_page: Any, tmp_path: Any
) -> None:
    port = live_server.url.rsplit(":", 1)[1]
    page = browser_page
    with override_settings(PUBLIC_PORT=int(port)):
        page.goto(f"http://localhost:{port}/")
        assert "套餐" in page.content()
        page.goto(f"http://localhost:{port}/signup/?plan=growth")
        page.fill("#id_company_name", "杭州优选商贸有限公司")
        page.fill("#id_subdomain", "admin")  # reserved: the form says so and keeps the input
        page.fill("#id_admin_email", "boss@youxuan.example.cn")
        page.fill("#id_admin_password", "Str0ng-pass-2026!")
        page.locator("main button[type=submit]").click()
        assert page.locator(".errorlist").count() >= 1
        assert page.input_value("#id_company_name") == "杭州优选商贸有限公司"

        page.fill("#id_subdomain", "youxuan")
        page.fill("#id_admin_password", "Str0ng-pass-2026!")
        page.locator("main button[type=submit]").click()
        page.wait_for_selector('[data-status="active"]', timeout=20_000)
        page.screenshot(path=str(tmp_path / "signup-done.png"))
        admin_link = page.locator("a.btn", has_text="管理")
        href = admin_link.get_attribute("href")
        assert href == f"http://youxuan.localhost:{port}/admin/"

        page.goto(href)
        page.fill("#id_username", "boss@youxuan.example.cn")
        page.fill("#id_password", "Str0ng-pass-2026!")
        page.locator("#login-form [type=submit]").click()
        page.wait_for_selector("text=添加坐席", timeout=15_000)
        assert "youxuan.localhost" in page.url
