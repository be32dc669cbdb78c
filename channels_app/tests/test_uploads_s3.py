"""Widget uploads in a real S3-compatible object store (moto's server), reached only through signed links."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from callcenter.core.testing import TwoTenants, host_of
from channels_app.testing import visitor_token, widget_channel

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
BUCKET = "cc-uploads"
CREDENTIALS = {"access_key": "test-key", "secret_key": "test-secret", "region_name": "cn-north-1"}


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        region_name=CREDENTIALS["region_name"],
    ).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["region_name"]})
    yield endpoint
    server.stop()


def _objects(endpoint: str) -> list[dict[str, Any]]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        region_name=CREDENTIALS["region_name"],
    )
    return list(client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_uploads_land_in_the_object_store_under_the_tenant_and_come_back_intact(
    two_tenants: TwoTenants, s3_endpoint: str
) -> None:
    storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": s3_endpoint, "file_overwrite": False, **CREDENTIALS},
    }
    channel = widget_channel(two_tenants.a)
    token = visitor_token(two_tenants.a, channel)
    with override_settings(
        STORAGES={"default": storage, "staticfiles": {"BACKEND": "whitenoise.storage.StaticFilesStorage"}}
    ):
        shop = Client(HTTP_HOST=host_of(two_tenants.a))
        uploaded = shop.post(
            f"/channels/widget/{channel.pk}/uploads/",
            {"file": SimpleUploadedFile("发票.png", PNG, content_type="image/png")},
            HTTP_AUTHORIZATION=f"Visitor {token}",
        )
        assert uploaded.status_code == 201, uploaded.content
        stored = _objects(s3_endpoint)
        assert len(stored) == 1 and stored[0]["Key"].startswith(f"t{two_tenants.a.pk}/widget/")
        assert stored[0]["Size"] == len(PNG)
        served = shop.get(uploaded.json()["url"])
        assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
        # A refused file never reaches the bucket.
        refused = shop.post(
            f"/channels/widget/{channel.pk}/uploads/",
            {"file": SimpleUploadedFile("x.png", b"<svg/onload=alert(1)>", content_type="image/png")},
            HTTP_AUTHORIZATION=f"Visitor {token}",
        )
        assert refused.status_code == 400 and len(_objects(s3_endpoint)) == 1
