"""The tenant API's OpenAPI schema builds cleanly and lists what shops and agents integrate with."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_the_tenant_schema_builds_without_warnings_and_names_the_channel_apis() -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "spectacular", urlconf="callcenter.urls_tenants", validate=True, fail_on_warn=True, stdout=out, stderr=err
    )
    schema = out.getvalue()
    for path in (
        "/api/v1/app/messages/",
        "/api/v1/app/me/messages/",
        "/api/v1/conversations/{conversation_id}/messages/",
        "/channels/widget/{channel_id}/visitors/",
        "/channels/widget/{channel_id}/uploads/",
    ):
        assert f"  {path}:" in schema, path
