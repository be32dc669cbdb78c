"""An agent's uploads: a real picture with a Chinese name goes into a reply and comes back byte
for byte; a text file called .png, strangers and floods are refused, and nothing is stored."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, tenant_client
from conversations.models import Message
from routing.tests.factories import customer_writes
from workbench.apis_desk import AgentUploadThrottle


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, red) PNG: signature, IHDR, IDAT and IEND chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _stored(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


def _upload(client: Any, name: str, data: bytes, content_type: str) -> Any:
    return client.post("/api/v1/uploads/", {"file": SimpleUploadedFile(name, data, content_type=content_type)})


def test_a_picture_goes_into_a_reply_and_comes_back_byte_for_byte(two_tenants: TwoTenants, media: Path) -> None:
    with tenant_context(two_tenants.a):
        conversation_id = customer_writes("能看看面单吗？").conversation_id
    agent = tenant_client(two_tenants.a, "agent")
    picture = png_bytes()
    uploaded = _upload(agent, "退货面单 照片.png", picture, "image/png")
    assert uploaded.status_code == 201, uploaded.content
    attachment = uploaded.json()
    assert attachment["name"] == "退货面单 照片.png" and attachment["content_type"] == "image/png"
    assert attachment["size"] == len(picture) and attachment["url"].startswith("/channels/files/")
    assert [path.parent.parent.parent.name for path in _stored(media)] == ["agent"]  # t<id>/agent/<yyyy>/<mm>/

    reply = agent.post(
        f"/api/v1/conversations/{conversation_id}/messages/",
        {"kind": "image", "attachments": [attachment], "client_msg_id": "pic-1"},
        content_type="application/json",
    )
    assert reply.status_code == 201, reply.content
    assert reply.json()["kind"] == "image" and reply.json()["attachments"] == [attachment]
    with tenant_context(two_tenants.a):
        assert Message.objects.get(conversation_id=conversation_id, client_msg_id="pic-1").attachments == [attachment]

    fetched = agent.get(attachment["url"])
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/png"
    assert b"".join(fetched.streaming_content) == picture
    # The link names its tenant: on B's host it opens nothing.
    assert tenant_client(two_tenants.b, "agent").get(attachment["url"]).status_code == 404


def test_what_is_not_what_it_says_or_not_signed_in_is_refused_and_nothing_stored(
    two_tenants: TwoTenants, media: Path
) -> None:
    agent = tenant_client(two_tenants.a, "agent")
    fake = _upload(agent, "照片.png", "其实是一段文字，不是图片".encode(), "image/png")
    assert fake.status_code == 400
    assert fake.json()["errors"]["file"] == ["文件内容与其类型不符。"]  # the reader's language: zh-hans by default
    page = _upload(agent, "page.png", b"<html><script>alert(1)</script></html>", "image/png")
    assert page.status_code == 400 and page.json()["errors"]["file"]
    assert _upload(agent, "empty.png", b"", "image/png").status_code == 400
    huge = _upload(agent, "大图.png", png_bytes() + b"\0" * (20 * 1024 * 1024), "image/png")
    assert huge.status_code == 400 and "20" in huge.json()["errors"]["file"][0]
    assert agent.post("/api/v1/uploads/", {}).status_code == 400  # no file at all
    anonymous = _upload(tenant_client(two_tenants.a), "a.png", png_bytes(), "image/png")
    assert anonymous.status_code in (401, 403)
    assert _stored(media) == []


def test_uploads_are_limited_per_user(two_tenants: TwoTenants, media: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(AgentUploadThrottle, "rate", "2/minute")
    agent, staff = tenant_client(two_tenants.a, "agent"), tenant_client(two_tenants.a, "staff")
    assert [_upload(agent, "a.png", png_bytes(), "image/png").status_code for _ in range(3)] == [201, 201, 429]
    # Someone else, here or on another tenant (where user ids repeat), still may.
    assert _upload(staff, "b.png", png_bytes(), "image/png").status_code == 201
    assert _upload(tenant_client(two_tenants.b, "agent"), "c.png", png_bytes(), "image/png").status_code == 201
    assert len(_stored(media)) == 4
