"""Media uploads for a shop's APP: its backend (channel key) and the APP itself (APP user token).

The answer is an attachment (``url``, ``content_type``, ``size``, ``name``) to put, as it is,
in a message's ``attachments``; the url is a signed link on the tenant's host.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from channels_app.authentication import ChannelKeyAuthentication, IsAppChannel, channel_of
from channels_app.models import Channel
from channels_app.services.files import file_store
from channels_app.user_tokens import AppUserPrincipal, AppUserTokenAuthentication, IsAppUser

DEFAULT_MAX_UPLOAD_MB = 10
MAX_UPLOAD_MB_CEILING = 20

UPLOAD_REQUEST = {"multipart/form-data": inline_serializer("AppUpload", {"file": serializers.FileField()})}
ATTACHMENT = inline_serializer(
    "Attachment",
    {
        "url": serializers.CharField(),
        "content_type": serializers.CharField(),
        "size": serializers.IntegerField(),
        "name": serializers.CharField(),
    },
)


def _max_mb(channel: Channel) -> int:
    value = (channel.config or {}).get("max_upload_mb", DEFAULT_MAX_UPLOAD_MB)
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_UPLOAD_MB_CEILING
    return value if ok else DEFAULT_MAX_UPLOAD_MB


def _store(request: Request, channel: Channel) -> Response:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    try:
        stored = file_store(
            area="app",
            file=upload,
            name=upload.name or "file",
            declared_type=upload.content_type or "",
            size=upload.size or 0,
            max_mb=_max_mb(channel),
        )
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    return Response(stored.attachment(), status=status.HTTP_201_CREATED)


class BackendUploadsApi(APIView):
    authentication_classes = [ChannelKeyAuthentication]
    permission_classes = [IsAppChannel]
    parser_classes = [MultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "app"

    @extend_schema(request=UPLOAD_REQUEST, responses={201: ATTACHMENT}, summary="Upload a picture, PDF or text file")
    def post(self, request: Request) -> Response:
        channel = channel_of(request)
        assert channel is not None  # IsAppChannel let the request in
        return _store(request, channel)


class MyUploadsApi(APIView):
    authentication_classes = [AppUserTokenAuthentication]
    permission_classes = [IsAppUser]
    parser_classes = [MultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "app_user"

    @extend_schema(
        request=UPLOAD_REQUEST, responses={201: ATTACHMENT}, summary="Upload a file as the APP's signed-in user"
    )
    def post(self, request: Request) -> Response:
        assert isinstance(request.user, AppUserPrincipal)
        return _store(request, request.user.channel)
