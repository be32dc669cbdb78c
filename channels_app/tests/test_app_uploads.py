"""APP media uploads: the backend with its key and the APP user with a token; checked bytes, signed links."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of
from channels_app.testing import app_channel_with_key, backend_client
from conversations.models import Message

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def _file(name: str, data: bytes, content_type: str) -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile(name, data, content_type=content_type)}


def test_the_backend_uploads_and_attaches_a_picture(two_tenants: TwoTenants) -> None:
    _, raw = app_channel_with_key(two_tenants.a)
    backend = backend_client(two_tenants.a, raw)
    uploaded = backend.post("/api/v1/app/uploads/", _file("破损照片.jpg", JPEG, "image/jpeg"))
    assert uploaded.status_code == 201, uploaded.content
    attachment = uploaded.json()
    assert attachment["name"] == "破损照片.jpg" and attachment["url"].startswith("/channels/files/")
    sent = backend.post(
        "/api/v1/app/messages/",
        {"customer": {"app_user_id": "u-1"}, "kind": "image", "attachments": [attachment]},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    served = Client(HTTP_HOST=host_of(two_tenants.a)).get(attachment["url"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == JPEG
    assert Client(HTTP_HOST=host_of(two_tenants.b)).get(attachment["url"]).status_code == 404


def test_the_app_user_uploads_with_a_token_and_bad_files_are_refused(two_tenants: TwoTenants) -> None:
    _, raw = app_channel_with_key(two_tenants.a)
    backend = backend_client(two_tenants.a, raw)
    token = backend.post("/api/v1/app/user-tokens/", {"app_user_id": "u-1"}, content_type="application/json").json()
    me = Client(HTTP_HOST=host_of(two_tenants.a), HTTP_AUTHORIZATION=f"AppUser {token['token']}")
    assert me.post("/api/v1/app/me/uploads/", _file("a.jpg", JPEG, "image/jpeg")).status_code == 201
    for name, data, content_type in (
        ("a.jpg", b"<html>x</html>", "image/jpeg"),
        ("a.png", JPEG, "image/png"),
        ("big.jpg", JPEG + b"\x00" * (10 * 1024 * 1024), "image/jpeg"),
    ):
        assert me.post("/api/v1/app/me/uploads/", _file(name, data, content_type)).status_code == 400, name
    assert me.post("/api/v1/app/me/uploads/", {}).status_code == 400
    nobody = Client(HTTP_HOST=host_of(two_tenants.a))
    assert nobody.post("/api/v1/app/me/uploads/", _file("a.jpg", JPEG, "image/jpeg")).status_code in (401, 403)
    on_b = backend_client(two_tenants.b, raw)
    assert on_b.post("/api/v1/app/uploads/", _file("a.jpg", JPEG, "image/jpeg")).status_code == 401
    with tenant_context(two_tenants.a):
        assert not Message.objects.exists()
