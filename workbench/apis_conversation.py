"""The desk's API on one conversation: internal notes (/api/v1/conversations/<id>/notes/), ending
it with a wrap-up code (/api/v1/conversations/<id>/wrap-up/), and the codes (/api/v1/wrap-up-codes/)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.permissions import IsStaffOrAgent
from conversations.selectors import conversation_get
from workbench.events import note_payload
from workbench.models import ConversationWrapUp
from workbench.people import person_name
from workbench.selectors_conversation import notes_of, wrap_up_codes_active
from workbench.services.notes import note_add
from workbench.services.wrap_up import conversation_wrap_up

# --- internal notes ---------------------------------------------------------------------------


class ConversationNoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    author = serializers.IntegerField(allow_null=True, help_text="The author's user id (null once deleted)")
    author_name = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class ConversationNoteCreateSerializer(serializers.Serializer):
    # The service checks the length after stripping, so the limit and its message live in one place.
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="1–2000 characters")


class ConversationNotesApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        responses={200: ConversationNoteSerializer(many=True)}, summary="A conversation's internal notes, oldest first"
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get(conversation_id)
        return Response([note_payload(note) for note in notes_of(conversation)])

    @extend_schema(
        request=ConversationNoteCreateSerializer,
        responses={201: ConversationNoteSerializer},
        summary="Add an internal note (agents see it, the customer never does)",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get(conversation_id)
        given = ConversationNoteCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        note = note_add(conversation=conversation, user=request.user, body=given.validated_data["body"])
        return Response(note_payload(note), status=status.HTTP_201_CREATED)


# --- wrap-up ----------------------------------------------------------------------------------


class WrapUpCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language")


class WrapUpRequestSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="One of GET /api/v1/wrap-up-codes/")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, help_text="At most 500 characters"
    )


class WrapUpSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    agent_name = serializers.CharField()
    created_at = serializers.DateTimeField()


class WrapUpResultSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    status = serializers.CharField()
    wrap_up = WrapUpSerializer()


def wrap_up_data(wrap_up: ConversationWrapUp) -> dict[str, Any]:
    return {
        "code": wrap_up.code.code,
        "name": str(wrap_up.code),
        "note": wrap_up.note,
        "agent_name": person_name(wrap_up.agent),
        "created_at": wrap_up.created_at,
    }


class WrapUpCodesApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(responses={200: WrapUpCodeSerializer(many=True)}, summary="The active wrap-up codes, in order")
    def get(self, request: Request) -> Response:
        return Response([{"code": c.code, "name": str(c)} for c in wrap_up_codes_active()])


class ConversationWrapUpApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        request=WrapUpRequestSerializer,
        responses={200: WrapUpResultSerializer},
        summary="End the conversation with a wrap-up code (409 already_ended, 403 not_yours)",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get(conversation_id)
        given = WrapUpRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        wrap_up = conversation_wrap_up(conversation=conversation, user=request.user, **given.validated_data)
        ended = wrap_up.conversation
        return Response(
            WrapUpResultSerializer(
                {"conversation": ended.pk, "status": ended.status, "wrap_up": wrap_up_data(wrap_up)}
            ).data
        )
