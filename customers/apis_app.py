"""The API a tenant's shop backend calls with its APP channel's key: order sync and activity.

``Authorization: Bearer chk_...`` on the tenant's own host; body ``{"items": [...]}`` (JSON).
The answer reports every item: 200 when at least one item was valid (the invalid ones are
listed in ``errors``), 400 when the body is malformed or every item is invalid.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from channels_app.authentication import ChannelKeyAuthentication, IsAppChannel, channel_of
from channels_app.selectors import channel_app_user_namespace
from customers.services.activity import ActivityInputSerializer, activity_record_bulk
from customers.services.orders import MAX_BATCH, OrderInputSerializer, orders_sync


class ItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request's list.")
    errors = serializers.DictField(help_text="Field errors, nested like the item.")  # type: ignore[assignment]


class OrderItemErrorSerializer(ItemErrorSerializer):
    order_no = serializers.CharField(allow_null=True)


class ActivityItemErrorSerializer(ItemErrorSerializer):
    event_id = serializers.CharField(allow_null=True)


class OrdersSyncRequestSerializer(serializers.Serializer):
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=OrderInputSerializer(), max_length=MAX_BATCH
    )


class OrdersSyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    stale = serializers.IntegerField(help_text="Skipped: older than the stored order.")
    invalid = serializers.IntegerField()
    errors = OrderItemErrorSerializer(many=True)  # type: ignore[assignment]


class ActivityRequestSerializer(serializers.Serializer):
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ActivityInputSerializer(), max_length=MAX_BATCH
    )


class ActivityResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField(help_text="Already stored under the same event_id.")
    invalid = serializers.IntegerField()
    errors = ActivityItemErrorSerializer(many=True)  # type: ignore[assignment]


def _items(request: Request) -> Any:
    return request.data.get("items") if isinstance(request.data, dict) else None


def _report(result: dict[str, Any], total: int) -> Response:
    if result["invalid"] == total:
        return Response({"detail": gettext("Invalid input."), **result}, status=status.HTTP_400_BAD_REQUEST)
    return Response(result)


class AppApiView(APIView):
    authentication_classes = [ChannelKeyAuthentication]
    permission_classes = [IsAppChannel]
    parser_classes = [JSONParser]
    throttle_classes: list[type[BaseThrottle]] = [ScopedRateThrottle]
    throttle_scope = "app"

    def namespace(self) -> str:
        channel = channel_of(self.request)
        return channel_app_user_namespace(channel) if channel is not None else ""

    def actor(self) -> str:
        return str(self.request.user.get_username())


_AUTH_RESPONSES = {
    401: OpenApiResponse(description="No key, or an unknown or revoked key"),
    403: OpenApiResponse(description="The key is not an APP channel's"),
}


class OrdersSyncApi(AppApiView):
    @extend_schema(
        request=OrdersSyncRequestSerializer,
        responses={
            200: OrdersSyncResultSerializer,
            400: OpenApiResponse(
                OrdersSyncResultSerializer, description="Malformed body (field errors), or every item invalid"
            ),
            **_AUTH_RESPONSES,
        },
        summary="Upsert up to 500 orders by order number (idempotent; older updates are skipped)",
        tags=["app"],
    )
    def post(self, request: Request) -> Response:
        items = _items(request)
        result = orders_sync(items=items, actor=self.actor(), namespace=self.namespace())
        return _report(result, len(items))


class ActivityApi(AppApiView):
    @extend_schema(
        request=ActivityRequestSerializer,
        responses={
            200: ActivityResultSerializer,
            400: OpenApiResponse(
                ActivityResultSerializer, description="Malformed body (field errors), or every item invalid"
            ),
            **_AUTH_RESPONSES,
        },
        summary="Record up to 500 customer activity events (deduplicated by event_id)",
        tags=["app"],
    )
    def post(self, request: Request) -> Response:
        items = _items(request)
        result = activity_record_bulk(items=items, actor=self.actor(), namespace=self.namespace())
        return _report(result, len(items))
