"""Serving a stored file (an upload, an attachment) so that it can never act as a page of this host."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404


def stored_file_response(
    key: str, content_type: str, name: str, *, as_attachment: bool, cache_control: str
) -> FileResponse:
    """The file under ``key`` with the type its content was checked to be; 404 when it is gone.

    Even a file that slipped past the checks runs in a sandbox with no sources, and the browser
    may not guess another type.
    """
    if not default_storage.exists(key):
        raise Http404
    response = FileResponse(
        default_storage.open(key, "rb"), content_type=content_type, as_attachment=as_attachment, filename=name
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    return response
