"""Stored files behind signed links: what visitors upload, served to the agent and the visitor."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from channels_app.services.files import file_link_read

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@require_GET
def channel_file(request: HttpRequest, token: str) -> FileResponse:
    stored = file_link_read(token)
    if stored is None or not default_storage.exists(stored.key):
        raise Http404
    response = FileResponse(
        default_storage.open(stored.key, "rb"),
        content_type=stored.content_type,
        as_attachment=stored.content_type not in INLINE_TYPES,
        filename=stored.name,
    )
    # Even a file that slipped past the checks can never run as a page of this host.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response
