"""A widget visitor's uploads: stored through channels_app.services.files, attached by a signed reference.

The reference says "this visitor uploaded this file", so a visitor can attach only their own
uploads, and only for a day.
"""

from __future__ import annotations

from typing import IO, Any

from django.core import signing

from callcenter.core.tenancy import current_schema
from channels_app.adapters.widget.tokens import Visitor
from channels_app.services.files import StoredUpload, file_store

REFERENCE_MAX_AGE_S = 24 * 3600


def _salt() -> str:
    return f"widget-upload:{current_schema()}"


def upload_store(*, visitor: Visitor, file: IO[bytes], name: str, declared_type: str, size: int, max_mb: int) -> str:
    """Check and store one file; returns the signed reference the visitor attaches to a message."""
    upload = file_store(area="widget", file=file, name=name, declared_type=declared_type, size=size, max_mb=max_mb)
    return signing.dumps(
        {"k": upload.key, "t": upload.content_type, "s": upload.size, "n": upload.name, "v": visitor.key},
        salt=_salt(),
    )


def upload_reference_read(reference: object, *, visitor: Visitor) -> dict[str, Any] | None:
    """The attachment behind a reference this visitor got from an upload, or None."""
    if not isinstance(reference, str) or len(reference) > 1000:
        return None
    try:
        data = signing.loads(reference, salt=_salt(), max_age=REFERENCE_MAX_AGE_S)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("v") != visitor.key:
        return None
    return StoredUpload(key=data["k"], content_type=data["t"], size=data["s"], name=data["n"]).attachment()
