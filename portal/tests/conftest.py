"""Fixtures of the portal tests: a tenant, and codes kept in memory instead of being sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from callcenter.core.testing import make_tenant
from callcenter.integrations.otp import LocmemCodeSender
from tenants.models import Tenant


@pytest.fixture
def outbox(settings: Any) -> Iterator[list[dict[str, str]]]:
    """Codes are kept in memory instead of being sent."""
    settings.PORTAL_CODE_SENDER = "callcenter.integrations.otp.LocmemCodeSender"
    LocmemCodeSender.outbox.clear()
    yield LocmemCodeSender.outbox
    LocmemCodeSender.outbox.clear()


@pytest.fixture
def tenant(platform: None) -> Tenant:
    return make_tenant("shop-a")
