"""Probes answer on any host; every response carries a request id; logs are JSON with tenant and request."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from django.test import Client, override_settings


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "unknown.localhost"])
def test_healthz_answers_on_any_host(host: str) -> None:
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_redis() -> None:
    body = Client(HTTP_HOST="127.0.0.1").get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]


@pytest.mark.django_db
def test_readyz_says_503_when_redis_is_unreachable() -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = Client(HTTP_HOST="127.0.0.1").get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


def test_request_ids_are_echoed_only_when_safe(platform: None) -> None:
    client = Client(HTTP_HOST="localhost")
    assert client.get("/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    generated = client.get("/", HTTP_X_REQUEST_ID="bad id\n<script>")["X-Request-ID"]
    assert generated != "bad id\n<script>" and len(generated) == 32


def test_json_logs_carry_request_id_and_tenant(two_tenants, capsys) -> None:  # type: ignore[no-untyped-def]
    from callcenter.core import logging as cc_logging

    with override_settings(LOG_FORMAT="json", LOG_LEVEL="INFO"):
        structlog.reset_defaults()
        cc_logging.configure()
        try:
            Client(HTTP_HOST="tenant-a.localhost").get("/accounts/login/", HTTP_X_REQUEST_ID="req-42")
        finally:
            structlog.reset_defaults()
            cc_logging.configure()
            logging.getLogger().setLevel(logging.WARNING)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    request_line = next(line for line in lines if line["event"] == "http.request")
    assert request_line["request_id"] == "req-42"
    assert request_line["tenant"] == "t_tenant_a"
    assert request_line["status"] == 200
