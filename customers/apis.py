"""Customer profiles for agents and admins: search, one profile, and its cross-channel timeline."""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.permissions import IsStaffOrAgent
from callcenter.core.errors import NotFoundError
from customers.models import Customer
from customers.selectors import customer_get, customer_search, customer_timeline


class CustomerSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.code", allow_null=True, default=None)
    identities = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "display_name",
            "tier",
            "phones",
            "emails",
            "tags",
            "attributes",
            "merged_into",
            "created_at",
            "updated_at",
            "identities",
        ]

    def get_identities(self, customer: Customer) -> list[dict[str, Any]]:
        return [
            {"kind": i.kind, "namespace": i.namespace, "external_id": i.external_id, "verified": i.verified}
            for i in customer.identities.all()
        ]


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    id = serializers.IntegerField()
    summary = serializers.DictField()


def _customer(customer_id: int) -> Customer:
    try:
        return customer_get(customer_id)
    except NotFoundError as exc:
        raise NotFound(_("No such customer.")) from exc


class CustomerSearchApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="name, phone (any format), e-mail, tag or channel id")],
        responses={200: CustomerSerializer(many=True)},
        summary="Find customers",
    )
    def get(self, request: Request) -> Response:
        query = str(request.query_params.get("q", ""))[:100]
        found = customer_search(query).prefetch_related("identities")
        return Response(CustomerSerializer(found, many=True).data)


class CustomerDetailApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(responses={200: CustomerSerializer}, summary="One customer profile")
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(CustomerSerializer(_customer(customer_id)).data)


class CustomerTimelineApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(
        parameters=[
            OpenApiParameter("before", str, description="ISO time: entries older than this (next page)"),
            OpenApiParameter("limit", int, description="1–200, default 50"),
        ],
        responses={200: TimelineEntrySerializer(many=True)},
        summary="Everything the customer did, on every channel, newest first",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = _customer(customer_id)
        raw_before = request.query_params.get("before")
        before = parse_datetime(raw_before) if raw_before else None
        if raw_before and before is None:
            raise ValidationError({"before": [_("Use an ISO 8601 time, e.g. 2026-11-11T20:00:00+08:00.")]})
        try:
            limit = int(request.query_params.get("limit", 50))
        except ValueError as exc:
            raise ValidationError({"limit": [_("A whole number from 1 to 200.")]}) from exc
        entries = customer_timeline(customer, before=before, limit=limit)
        return Response(TimelineEntrySerializer(entries, many=True).data)
