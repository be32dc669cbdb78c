"""Conversations for the tenant's agents and admins: list, read since a sequence, reply, resolve."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.permissions import IsStaffOrAgent
from conversations.apis_app import MessageSerializer, since_params
from conversations.events import message_payload
from conversations.models import Conversation, ConversationStatus, Direction, MessageKind
from conversations.selectors import conversation_get, conversation_list, messages_since
from conversations.services import agent_reply, conversation_resolve, messages_mark_read


class ConversationSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name")
    tier = serializers.CharField(source="customer.tier.code", allow_null=True, default=None)
    channel = serializers.CharField(source="last_channel.kind")

    class Meta:
        model = Conversation
        fields = [
            "id",
            "customer",
            "customer_name",
            "tier",
            "status",
            "topic",
            "channel",
            "last_seq",
            "opened_at",
            "last_message_at",
            "resolved_at",
        ]


class ReplySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MessageKind.values, default=MessageKind.TEXT)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="", max_length=4000)
    attachments = serializers.ListField(child=serializers.DictField(), required=False, default=list, max_length=10)
    client_msg_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ReadSerializer(serializers.Serializer):
    up_to_seq = serializers.IntegerField(min_value=0)


class ConversationsApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ConversationStatus.values),
            OpenApiParameter("limit", int, description="1–200, default 50"),
        ],
        responses={200: ConversationSerializer(many=True)},
        summary="Conversations, latest activity first",
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in ConversationStatus.values:
            raise ValidationError({"status": [_("Use open or resolved.")]})
        try:
            limit = int(request.query_params.get("limit", 50))
        except ValueError as exc:
            raise ValidationError({"limit": [_("A whole number from 1 to 200.")]}) from exc
        return Response(ConversationSerializer(conversation_list(status=wanted, limit=limit), many=True).data)


class ConversationMessagesApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        parameters=[OpenApiParameter("since", int), OpenApiParameter("limit", int)],
        responses={200: MessageSerializer(many=True)},
        summary="A conversation's messages after since (resync after a reconnect)",
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get(conversation_id)
        since, limit = since_params(request)
        return Response([message_payload(m) for m in messages_since(conversation, since, limit)])

    @extend_schema(
        request=ReplySerializer,
        responses={201: MessageSerializer, 200: MessageSerializer},
        summary="Reply to the customer on the channel they last wrote from (idempotent by client_msg_id)",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get(conversation_id)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        received = agent_reply(conversation=conversation, user=request.user, **data.validated_data)
        return Response(
            message_payload(received.message),
            status=status.HTTP_201_CREATED if received.created else status.HTTP_200_OK,
        )


class ConversationReadApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(request=ReadSerializer, responses={204: None}, summary="The agent has read up to a sequence")
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get(conversation_id)
        data = ReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        messages_mark_read(
            conversation=conversation, direction=Direction.INBOUND, up_to_seq=data.validated_data["up_to_seq"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationResolveApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(request=None, responses={200: ConversationSerializer}, summary="Resolve the conversation")
    def post(self, request: Request, conversation_id: int) -> Response:
        resolved = conversation_resolve(conversation=conversation_get(conversation_id), actor=request.user)
        return Response(ConversationSerializer(conversation_get(resolved.pk)).data)
