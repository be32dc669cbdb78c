"""The widget's HTTP side, called cross-origin from the shop's pages: settings, visitor tokens, uploads.

Only the widget's registered sites (and the tenant's own host) get CORS headers; the calls
carry the visitor token in a header, never a cookie, so no credentials are allowed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from channels_app.adapters.widget.config import widget_channel_get, widget_config_of, widget_origin_allowed
from channels_app.adapters.widget.tokens import TOKEN_MAX_AGE_S, Visitor, visitor_token_issue, visitor_token_read
from channels_app.adapters.widget.uploads import upload_reference_read, upload_store
from channels_app.models import Channel

VISITOR_KEYWORD = "visitor"


class WidgetVisitorThrottle(AnonRateThrottle):
    """New visitor tokens per address: a page load makes one, a script making thousands is stopped."""

    scope = "widget_visitor"


class WidgetUploadThrottle(AnonRateThrottle):
    scope = "widget_upload"


class WidgetApiView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def channel(self, channel_id: int) -> Channel:
        channel = widget_channel_get(channel_id)
        if channel is None:
            raise NotFound(_("No such chat widget."))
        return channel

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin", "")
        channel = widget_channel_get(kwargs.get("channel_id"))
        response["Vary"] = "Origin"
        if origin and channel is not None and widget_origin_allowed(channel, origin, request.get_host()):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Max-Age"] = "600"
        return response

    def get_authenticate_header(self, request: Any) -> str:
        return "Visitor"  # so a bad visitor token is a 401, as for every other token

    def options(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)

    def visitor(self, request: Request, channel: Channel) -> Visitor:
        parts = request.headers.get("Authorization", "").split()
        if len(parts) != 2 or parts[0].lower() != VISITOR_KEYWORD:
            raise AuthenticationFailed(_("Send: Authorization: Visitor <token>."))
        visitor = visitor_token_read(parts[1], channel=channel)
        if visitor is None:
            raise AuthenticationFailed(_("Invalid or expired visitor token."))
        return visitor


class WidgetConfigApi(WidgetApiView):
    @extend_schema(
        responses={200: inline_serializer("WidgetConfig", {"greeting": serializers.DictField()})},
        summary="The widget's public settings: greeting, colour, language, pre-chat form",
        auth=[],
    )
    def get(self, request: Request, channel_id: int) -> Response:
        channel = self.channel(channel_id)
        return Response({"channel": channel.pk, "name": channel.name, **widget_config_of(channel).public()})


class WidgetVisitorsApi(WidgetApiView):
    throttle_classes = [WidgetVisitorThrottle]

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "VisitorToken",
                {"token": serializers.CharField(), "expires_in": serializers.IntegerField()},
            )
        },
        summary="A new visitor and its signed token (the browser keeps it)",
        auth=[],
    )
    def post(self, request: Request, channel_id: int) -> Response:
        channel = self.channel(channel_id)
        _visitor_id, token = visitor_token_issue(channel=channel)
        return Response({"token": token, "expires_in": TOKEN_MAX_AGE_S}, status=status.HTTP_201_CREATED)


class WidgetUploadsApi(WidgetApiView):
    parser_classes = [MultiPartParser]
    throttle_classes = [WidgetUploadThrottle]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("WidgetUpload", {"file": serializers.FileField()})},
        responses={
            201: inline_serializer(
                "WidgetUploaded",
                {
                    "reference": serializers.CharField(),
                    "url": serializers.CharField(),
                    "content_type": serializers.CharField(),
                    "size": serializers.IntegerField(),
                    "name": serializers.CharField(),
                },
            )
        },
        summary="Upload a picture, PDF or text file; attach it with the returned reference",
    )
    def post(self, request: Request, channel_id: int) -> Response:
        channel = self.channel(channel_id)
        visitor = self.visitor(request, channel)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose a file.")]})
        try:
            reference = upload_store(
                visitor=visitor,
                file=upload,
                name=upload.name or "file",
                declared_type=upload.content_type or "",
                size=upload.size or 0,
                max_mb=widget_config_of(channel).max_upload_mb,
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        attachment = upload_reference_read(reference, visitor=visitor)
        return Response({"reference": reference, **(attachment or {})}, status=status.HTTP_201_CREATED)
