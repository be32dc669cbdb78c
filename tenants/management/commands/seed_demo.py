"""A demo tenant with agents, and a demo reseller, for `make run`. Idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context, tenant_context

from agents.services.agents import agent_ensure
from channels_app.services.channels import widget_channel_ensure
from tenants.models import Plan, Reseller, Signup, Tenant
from tenants.services.platform import platform_ensure
from tenants.services.provisioning import signup_provision
from tenants.services.usage import usage_snapshot_take

DEMO_PASSWORD = "demo-pass-2026"
DEMO_WIDGET = {
    "greeting": {"zh-hans": "您好，欢迎光临！请问有什么可以帮您？", "en": "Hello and welcome! How can we help?"},
    "color": "#e4393c",
    "prechat": "optional",
    "topics": ["售前咨询", "订单与物流", "退换货"],
    "allowed_origins": [],
}
# (username, name, skills with levels, pools): agent1 takes VIP after-sales first; agent3 is the
# backup pool that overflow reaches.
DEMO_AGENTS = [
    ("agent1", "王小明", {"vip": 4, "after-sales": 4}, ["primary"]),
    ("agent2", "李娜", {"after-sales": 3, "logistics": 4}, ["primary"]),
    ("agent3", "Chen Jie", {"pre-sales": 4, "after-sales": 2}, ["backup"]),
]


class Command(BaseCommand):
    help = "Create the demo tenant (demo.<BASE_DOMAIN>), its agents, and a demo reseller."

    def handle(self, *args: Any, **options: Any) -> None:
        platform_ensure()
        reseller = self._reseller()
        tenant = Tenant.objects.filter(subdomain="demo").first()
        if tenant is None:
            signup = Signup.objects.exclude(status="failed").filter(subdomain="demo").first()
            if signup is None:
                signup = Signup.objects.create(
                    company_name="演示商城 Demo Shop",
                    subdomain="demo",
                    admin_email="admin@demo.example.cn",
                    admin_password_hash=make_password(DEMO_PASSWORD),
                    plan=Plan.objects.get(code="growth"),
                    reseller=reseller,
                )
            signup = signup_provision(signup_id=str(signup.pk))
            if signup.tenant is None:
                raise SystemExit(f"Demo provisioning failed: {signup.failure_reason}")
            tenant = signup.tenant
        with tenant_context(tenant):
            self._agents()
            widget_channel_ensure(name="官网在线客服", config=DEMO_WIDGET)
            usage_snapshot_take()
        port = f":{settings.PUBLIC_PORT}"
        self.stdout.write(self.style.SUCCESS("Demo data ready:"))
        self.stdout.write(
            f"  Demo tenant admin  http://demo.{settings.BASE_DOMAIN}{port}/admin/  "
            f"admin@demo.example.cn / {DEMO_PASSWORD}"
        )
        self.stdout.write(
            f"  Demo agents        http://demo.{settings.BASE_DOMAIN}{port}/accounts/login/  "
            f"agent1, agent2, agent3 / {DEMO_PASSWORD}"
        )
        self.stdout.write(f"  Demo shop (widget)  http://demo.{settings.BASE_DOMAIN}{port}/shop-demo/")
        self.stdout.write(
            f"  Reseller console   http://{settings.BASE_DOMAIN}{port}/reseller/  reseller / {DEMO_PASSWORD}"
        )
        self.stdout.write(
            f"  Platform admin     http://{settings.BASE_DOMAIN}{port}/admin/  operator / {DEMO_PASSWORD}"
        )

    def _reseller(self) -> Reseller:
        user_model = get_user_model()
        with schema_context("public"):
            operator, created = user_model.objects.get_or_create(
                username="operator", defaults={"is_staff": True, "is_superuser": True, "email": "operator@localhost"}
            )
            if created:
                operator.set_password(DEMO_PASSWORD)
                operator.save()
            reseller, _ = Reseller.objects.get_or_create(
                name="华东渠道 East China Partners", defaults={"contact_email": "partner@example.cn"}
            )
            user, created = user_model.objects.get_or_create(
                username="reseller", defaults={"email": "partner@example.cn"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            reseller.users.add(user)
        return reseller

    def _agents(self) -> None:
        from agents.services.bootstrap import not_ready_reasons_seed_defaults, pools_seed_defaults
        from routing.services.defaults import routing_seed_defaults

        # A demo tenant made before routing existed gets its defaults too.
        pools_seed_defaults()
        not_ready_reasons_seed_defaults()
        routing_seed_defaults()
        for username, display_name, skills, pools in DEMO_AGENTS:
            agent_ensure(
                username=username, password=DEMO_PASSWORD, display_name=display_name, skills=skills, pools=pools
            )
