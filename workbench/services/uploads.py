"""Files an agent sends in a chat (a photo of the parcel label, a PDF of the return form).

Checked and stored like a customer's (``channels_app.services.files``: the bytes must be what
the type says), under ``t<tenant>/agent/``. The answer is the attachment itself, to put as it is
in a reply's ``attachments``: its url is a signed link on the tenant's host, which WeChat's
sender recognises as a picture stored here.
"""

from __future__ import annotations

from typing import IO, Any

from channels_app.services.files import file_store

AGENT_UPLOAD_MAX_MB = 20


def agent_upload_store(*, file: IO[bytes], name: str, declared_type: str, size: int) -> dict[str, Any]:
    """Check and store one file; returns ``{url, content_type, size, name}``."""
    stored = file_store(
        area="agent", file=file, name=name, declared_type=declared_type, size=size, max_mb=AGENT_UPLOAD_MAX_MB
    )
    return stored.attachment()
