"""Stored files behind signed links: what visitors upload, served to the agent and the visitor."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from callcenter.core.files import stored_file_response
from channels_app.services.files import file_link_read

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@require_GET
def channel_file(request: HttpRequest, token: str) -> FileResponse:
    stored = file_link_read(token)
    if stored is None:
        raise Http404
    return stored_file_response(
        stored.key,
        stored.content_type,
        stored.name,
        as_attachment=stored.content_type not in INLINE_TYPES,
        cache_control="private, max-age=86400",
    )
