"""Return requests from the shop's APP backend (its APP channel's key), at /api/v1/app/return-requests/.

The request joins the customer's open ticket about the same order, or opens one, and links the
customer's recent conversations that name the order (``tickets.services.linking``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from customers.apis_app import AppApiView
from customers.services.orders import AppCustomerSerializer, app_customer_resolve
from tickets.services.linking import return_request_submit


class ReturnRequestSerializer(serializers.Serializer):
    request_id = serializers.CharField(
        max_length=128, help_text="The shop's id of this request: sent twice, kept once."
    )
    order_no = serializers.CharField(max_length=64)
    reason = serializers.SlugField(
        max_length=40, required=False, default="return-exchange", help_text="A ticket category code."
    )
    description = serializers.CharField(max_length=10_000, trim_whitespace=False)
    customer = AppCustomerSerializer()


class ReturnRequestResultSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(help_text="The ticket number.")
    outcome = serializers.ChoiceField(choices=["created", "linked", "duplicate"])
    linked_conversations = serializers.ListField(child=serializers.IntegerField())


class ReturnRequestApi(AppApiView):
    @extend_schema(
        request=ReturnRequestSerializer,
        responses={
            201: ReturnRequestResultSerializer,
            200: OpenApiResponse(ReturnRequestResultSerializer, description="Joined an open ticket, or seen before"),
            400: OpenApiResponse(description="Field errors"),
        },
        summary="Submit a customer's return request from the APP",
        tags=["app"],
    )
    def post(self, request: Request) -> Response:
        given = ReturnRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        customer = app_customer_resolve(data["customer"], namespace=self.namespace())
        result = return_request_submit(
            customer=customer,
            order_ref=data["order_no"],
            description=data["description"],
            request_id=data["request_id"],
            category_code=data["reason"],
        )
        body = {"ticket": result.ticket.number, "outcome": result.outcome, "linked_conversations": result.conversations}
        return Response(body, status=status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK)
