"""Files customers send (widget and APP uploads, WeChat media): checked, stored per tenant, linked by signature.

The declared type must match what the first bytes say (a "photo.jpg" that is an HTML page is
refused), so nothing we serve back can be turned into a page on our host. Files are stored with
Django's default storage under ``t<tenant id>/<area>/`` and reached only through signed links:
the link is the permission, and it names its tenant.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass
from typing import IO, Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.tenancy import current_schema, require_tenant

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
MAX_NAME_CHARS = 100


def sniff_content_type(head: bytes) -> str | None:
    """The type the bytes themselves say, for the types we accept; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The cut may fall inside a multi-byte character: accept only that case.
        try:
            text = head[:-3].decode("utf-8") if len(head) > 3 else ""
        except UnicodeDecodeError:
            return None
    markup = text.lstrip().lower()
    if "\x00" in text or markup.startswith(("<", "%!ps")):
        return None
    return "text/plain"


def clean_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return base[-MAX_NAME_CHARS:] or "file"


@dataclass(frozen=True)
class StoredUpload:
    key: str
    content_type: str
    size: int
    name: str

    def attachment(self) -> dict[str, Any]:
        return {"url": file_url(self), "content_type": self.content_type, "size": self.size, "name": self.name}


def file_store(*, area: str, file: IO[bytes], name: str, declared_type: str, size: int, max_mb: int) -> StoredUpload:
    """Check one file a customer sent and store it under ``t<tenant>/<area>/<year>/<month>/``."""
    limit = max_mb * 1024 * 1024
    if size <= 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    if size > limit:
        raise ValidationError({"file": [_("Files can be at most %(max)d MB.") % {"max": max_mb}]})
    head = file.read(512)
    file.seek(0)
    sniffed = sniff_content_type(head)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if sniffed is None or sniffed not in EXTENSIONS:
        raise ValidationError({"file": [_("Send a picture (JPEG, PNG, GIF, WebP), a PDF or a text file.")]})
    if declared != sniffed:
        raise ValidationError({"file": [_("The file's content does not match its type.")]})
    tenant = require_tenant()
    key = f"t{tenant.pk}/{area}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{EXTENSIONS[sniffed]}"
    saved = default_storage.save(key, file)
    return StoredUpload(key=saved, content_type=sniffed, size=size, name=clean_filename(name))


def _file_salt() -> str:
    return f"channel-file:{current_schema()}"


def file_url(upload: StoredUpload) -> str:
    token = signing.dumps({"k": upload.key, "t": upload.content_type, "n": upload.name}, salt=_file_salt())
    return reverse("channel-file", args=[token])


def file_link_read(token: str) -> StoredUpload | None:
    """The stored file a signed link names, if the link was made by this tenant."""
    if len(token) > 1000:
        return None
    try:
        data = signing.loads(token, salt=_file_salt())
    except signing.BadSignature:
        return None
    tenant = require_tenant()
    if not isinstance(data, dict) or not str(data.get("k", "")).startswith(f"t{tenant.pk}/"):
        return None
    return StoredUpload(key=data["k"], content_type=data["t"], size=0, name=data["n"])
