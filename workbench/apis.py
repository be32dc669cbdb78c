"""The desk's own API (staff and agents of the tenant): canned responses, under /api/v1/canned-responses/."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Team
from agents.permissions import IsStaffOrAgent
from callcenter.core.errors import NotFoundError
from conversations.selectors import conversation_get
from customers.domain.order_status import order_status_label
from workbench.domain.canned import canned_fill
from workbench.models import CannedResponse, CannedScope
from workbench.screen_pop import ScreenPop, screen_pop, screen_pop_customer
from workbench.selectors import canned_get_for, canned_search, canned_values_for, ticket_draft
from workbench.services.canned import canned_create, canned_delete, canned_update


class CannedResponseSerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="team_id", allow_null=True, read_only=True)
    mine = serializers.SerializerMethodField()
    text = serializers.CharField(read_only=True, help_text="The body with this conversation's values filled in.")

    class Meta:
        model = CannedResponse
        fields = ["id", "scope", "team", "mine", "shortcut", "title", "body", "text", "is_active", "updated_at"]

    def get_mine(self, response: CannedResponse) -> bool:
        return response.owner_id is not None and response.owner_id == self.context["user"].pk


class CannedCreateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=CannedScope.choices, default=CannedScope.PERSONAL)
    team = serializers.IntegerField(required=False, allow_null=True)
    shortcut = serializers.CharField(max_length=31)
    title = serializers.CharField(max_length=80)
    body = serializers.CharField(max_length=2000, trim_whitespace=False)


class CannedUpdateSerializer(serializers.Serializer):
    shortcut = serializers.CharField(max_length=31, required=False)
    title = serializers.CharField(max_length=80, required=False)
    body = serializers.CharField(max_length=2000, required=False, trim_whitespace=False)
    is_active = serializers.BooleanField(required=False)


def _data(responses: list[CannedResponse], user: Any, values: dict[str, str | None]) -> list[dict[str, Any]]:
    for response in responses:
        response.text = canned_fill(response.body, values)  # type: ignore[attr-defined]
    return list(CannedResponseSerializer(responses, many=True, context={"user": user}).data)


def _values(request: Request) -> dict[str, str | None]:
    raw = request.query_params.get("conversation")
    conversation = None
    if raw not in (None, ""):
        try:
            conversation = conversation_get(int(str(raw)))
        except (ValueError, NotFoundError) as exc:
            raise NotFound(_("No such conversation.")) from exc
    return canned_values_for(user=request.user, conversation=conversation)


def _one(request: Request, response_id: int) -> CannedResponse:
    try:
        return canned_get_for(request.user, response_id)
    except NotFoundError as exc:
        raise NotFound(_("No such canned response.")) from exc


class CannedResponseListApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="What the agent typed after /"),
            OpenApiParameter("conversation", int, description="Fill the variables for this conversation"),
            OpenApiParameter("limit", int, description="1–50, default 20"),
        ],
        responses={200: CannedResponseSerializer(many=True)},
        summary="Canned responses I may use, best match first",
    )
    def get(self, request: Request) -> Response:
        try:
            limit = int(str(request.query_params.get("limit", 20)))
        except ValueError:
            limit = 20
        found = canned_search(request.user, str(request.query_params.get("q", "")), limit=limit)
        return Response(_data(found, request.user, _values(request)))

    @extend_schema(request=CannedCreateSerializer, responses={201: CannedResponseSerializer}, summary="Add one")
    def post(self, request: Request) -> Response:
        given = CannedCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        team = None
        if data.get("team") is not None:
            team = Team.objects.filter(pk=data["team"]).first()
            if team is None:
                raise serializers.ValidationError({"team": [_("Unknown team.")]})
        made = canned_create(
            actor=request.user,
            scope=data["scope"],
            team=team,
            shortcut=data["shortcut"],
            title=data["title"],
            body=data["body"],
        )
        values = canned_values_for(user=request.user, conversation=None)
        return Response(_data([made], request.user, values)[0], status=status.HTTP_201_CREATED)


class CannedResponseApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(request=CannedUpdateSerializer, responses={200: CannedResponseSerializer}, summary="Change one")
    def patch(self, request: Request, response_id: int) -> Response:
        given = CannedUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        changed = canned_update(actor=request.user, response=_one(request, response_id), **given.validated_data)
        values = canned_values_for(user=request.user, conversation=None)
        return Response(_data([changed], request.user, values)[0])

    @extend_schema(responses={204: None}, summary="Delete one")
    def delete(self, request: Request, response_id: int) -> Response:
        canned_delete(actor=request.user, response=_one(request, response_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- a ticket from a conversation -------------------------------------------------------------


class DraftCategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    confidence = serializers.FloatField()
    matched = serializers.ListField(child=serializers.CharField(), help_text="The keywords found")


class DraftTicketSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()
    order_ref = serializers.CharField()


class TicketDraftSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    customer = serializers.DictField(help_text="id and name")
    channel = serializers.CharField(help_text="The kind of channel the customer wrote on last")
    subject = serializers.CharField(allow_blank=True)
    order_ref = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True, help_text="The last messages, for the first internal note")
    category = DraftCategorySerializer(allow_null=True)
    open_tickets = DraftTicketSerializer(many=True, help_text="The customer's tickets still being worked on")


class TicketDraftApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(responses={200: TicketDraftSerializer}, summary="A new ticket from this conversation, pre-filled")
    def get(self, request: Request, conversation_id: int) -> Response:
        try:
            conversation = conversation_get(conversation_id)
        except NotFoundError as exc:
            raise NotFound(_("No such conversation.")) from exc
        draft = ticket_draft(conversation)
        category = None
        if draft.category is not None:
            category = {
                "code": draft.category.code,
                "name": str(draft.category),
                "confidence": draft.category_confidence,
                "matched": list(draft.category_matched),
            }
        body = {
            "conversation": conversation.pk,
            "customer": {"id": conversation.customer_id, "name": conversation.customer.display_name},
            "channel": conversation.last_channel.kind,
            "subject": draft.subject,
            "order_ref": draft.order_ref,
            "summary": draft.summary,
            "category": category,
            "open_tickets": [
                {"number": t.number, "subject": t.subject, "status": t.status, "order_ref": t.order_ref}
                for t in draft.open_tickets
            ],
        }
        return Response(TicketDraftSerializer(body).data)


# --- the screen pop ---------------------------------------------------------------------------


def _screen_pop_data(pop: ScreenPop) -> dict[str, Any]:
    customer = pop.customer
    tier = customer.tier
    return {
        "customer": {
            "id": customer.pk,
            "name": customer.display_name,
            "tier": {"code": tier.code, "name": str(tier), "rank": tier.rank} if tier else None,
            "phones": customer.phones,
            "emails": customer.emails,
            "tags": customer.tags,
            "since": customer.created_at,
            "identities": [
                {"kind": i.kind, "namespace": i.namespace, "external_id": i.external_id, "verified": i.verified}
                for i in pop.identities
            ],
        },
        "orders": [
            {
                "order_no": o.order_no,
                "status": o.status,
                "status_label": order_status_label(o.status),
                "amount": str(o.amount),
                "currency": o.currency,
                "placed_at": o.placed_at,
                "logistics_status": o.logistics_status,
                "logistics_company": o.logistics_company,
                "tracking_no": o.tracking_no,
            }
            for o in pop.orders
        ],
        "tickets": {
            which: [
                {
                    "number": t.number,
                    "subject": t.subject,
                    "status": t.status,
                    "priority": t.priority,
                    "category": str(t.category) if t.category else None,
                    "updated_at": t.updated_at,
                    "sla_breached": t.sla_breached,
                }
                for t in tickets
            ]
            for which, tickets in (("open", pop.open_tickets), ("past", pop.past_tickets))
        },
        "timeline": [{"at": e.at, "kind": e.kind, "id": e.id, "summary": e.summary} for e in pop.timeline],
        "earlier_conversations": [
            {
                "id": conversation_id,
                "lines": [{"seq": m.seq, "from": m.sender_type, "body": m.body, "at": m.created_at} for m in messages],
            }
            for conversation_id, messages in pop.earlier.items()
        ],
    }


class ScreenPopApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(
        parameters=[OpenApiParameter("conversation", int, description="The conversation being taken")],
        responses={200: OpenApiTypes.OBJECT},
        summary="Everything about a customer for the agent who takes their contact",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = screen_pop_customer(customer_id)
        if customer is None:
            raise NotFound(_("No such customer."))
        try:
            current = int(str(request.query_params.get("conversation") or 0)) or None
        except ValueError as exc:
            raise serializers.ValidationError({"conversation": [_("A whole number.")]}) from exc
        return Response(_screen_pop_data(screen_pop(customer, current_conversation_id=current)))
