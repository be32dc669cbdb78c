"""A tenant's own API about its account: usage and burst seat requests (tenant admins only)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.core.tenancy import require_tenant
from tenants.apis import BurstSerializer
from tenants.selectors import burst_list_for_tenant, usage_current
from tenants.services.bursts import burst_request_create


class UsageSerializer(serializers.Serializer):
    plan = serializers.CharField()
    agents = serializers.IntegerField()
    seats_in_use = serializers.IntegerField()
    seat_limit = serializers.IntegerField()
    plan_seats = serializers.IntegerField()
    burst_ends_at = serializers.DateTimeField(allow_null=True)
    conversations = serializers.IntegerField()
    storage_bytes = serializers.IntegerField()
    storage_quota_bytes = serializers.IntegerField()


class UsageApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: UsageSerializer}, summary="This call center's usage against its plan")
    def get(self, request: Request) -> Response:
        usage: dict[str, Any] = usage_current(require_tenant())
        burst = usage.pop("burst")
        usage["plan"] = usage["plan"].code
        usage["burst_ends_at"] = burst.ends_at if burst else None
        usage.pop("storage_percent")
        return Response(UsageSerializer(usage).data)


class BurstInputSerializer(serializers.Serializer):
    seats = serializers.IntegerField(min_value=1, max_value=1_000_000)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BurstRequestsApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: BurstSerializer(many=True)}, summary="This call center's burst requests")
    def get(self, request: Request) -> Response:
        return Response(BurstSerializer(burst_list_for_tenant(require_tenant()), many=True).data)

    @extend_schema(
        request=BurstInputSerializer, responses={201: BurstSerializer}, summary="Ask for more seats for a period"
    )
    def post(self, request: Request) -> Response:
        data = BurstInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        burst = burst_request_create(tenant=require_tenant(), actor=request.user.get_username(), **data.validated_data)
        return Response(BurstSerializer(burst).data, status=status.HTTP_201_CREATED)
