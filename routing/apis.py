"""Routing for agents and supervisors over REST: the agent's state and offers, transfers, queues.

The staff WebSocket offers the same actions (channels_app/consumers/staff.py); both call the
same services.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import AgentState
from agents.permissions import IsStaffOrAgent
from routing.selectors import queue_figures
from routing.services.contacts import contact_transfer
from routing.services.offers import offer_accept, offer_decline
from routing.services.presence import agent_desk, agent_state_choose


class StateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[AgentState.AVAILABLE, AgentState.NOT_READY, AgentState.OFFLINE])
    reason = serializers.SlugField(required=False, allow_blank=True, default="", max_length=40)


class TransferSerializer(serializers.Serializer):
    queue = serializers.IntegerField(required=False, min_value=1)
    agent = serializers.IntegerField(required=False, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("queue" in attrs) == ("agent" in attrs):
            raise serializers.ValidationError(_("Give either a queue or an agent."))
        return attrs


DESK = inline_serializer(
    "AgentDesk", {"agent": serializers.DictField(), "offers": serializers.ListField(child=serializers.DictField())}
)


class AgentDeskApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(responses={200: DESK}, summary="The signed-in agent's state, capacity in use and ringing offers")
    def get(self, request: Request) -> Response:
        return Response(agent_desk(request.user))


class AgentStateApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(request=StateSerializer, responses={200: DESK}, summary="Set the agent's state")
    def post(self, request: Request) -> Response:
        data = StateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent_state_choose(
            user=request.user, state=data.validated_data["state"], reason_code=data.validated_data["reason"]
        )
        return Response(agent_desk(request.user))


class OfferAcceptApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(request=None, responses={200: DESK}, summary="Accept an offer")
    def post(self, request: Request, offer_id: int) -> Response:
        offer_accept(offer_id=offer_id, user=request.user)
        return Response(agent_desk(request.user))


class OfferDeclineApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(request=None, responses={200: DESK}, summary="Decline an offer; the next agent gets it")
    def post(self, request: Request, offer_id: int) -> Response:
        offer_decline(offer_id=offer_id, user=request.user)
        return Response(agent_desk(request.user))


class TransferApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(
        request=TransferSerializer,
        responses={202: inline_serializer("Transferred", {"contact": serializers.IntegerField()})},
        summary="Transfer a conversation to a queue or to a named agent",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = contact_transfer(
            conversation_id=conversation_id,
            by=request.user,
            queue_id=data.validated_data.get("queue"),
            agent_id=data.validated_data.get("agent"),
            note=data.validated_data["note"],
        )
        return Response({"contact": contact.pk}, status=status.HTTP_202_ACCEPTED)


class QueuesApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(
        responses={
            200: inline_serializer("QueueFigures", {"queues": serializers.ListField(child=serializers.DictField())})
        },
        summary="Queues with contacts waiting, ringing, the longest wait and overflow",
    )
    def get(self, request: Request) -> Response:
        return Response({"queues": queue_figures()})
