"""The desk's working APIs (docs/workbench.md): an agent's uploads, the compensation link sent into
a chat, the agent's conversation list, and the supervisor view's figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from agents.permissions import IsStaffOrAgent
from callcenter.core.errors import NotFoundError
from callcenter.core.tenancy import require_tenant, tenant_key
from channels_app.apis_app import ATTACHMENT  # the same attachment as the APP's uploads give
from conversations.apis_app import MessageSerializer
from conversations.events import message_payload
from conversations.selectors import conversation_get
from tickets.selectors import ticket_get
from workbench.desk import desk_conversation_data, desk_conversations
from workbench.services.compensation import (
    DEFAULT_TTL_HOURS,
    MAX_TTL_HOURS,
    MIN_TTL_HOURS,
    compensation_link_send,
)
from workbench.services.uploads import agent_upload_store
from workbench.supervisor import supervisor_view

# --- uploads ----------------------------------------------------------------------------------


class AgentUploadThrottle(UserRateThrottle):
    """Uploads per signed-in user, counted per tenant (user ids repeat across tenants)."""

    scope = "agent_upload"
    rate = "60/minute"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": tenant_key(require_tenant().pk, request.user.pk)}


class AgentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class AgentUploadsApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [MultiPartParser]
    throttle_classes = [AgentUploadThrottle]

    @extend_schema(
        request={"multipart/form-data": AgentUploadSerializer},
        responses={201: ATTACHMENT},
        summary="Upload a picture, PDF or text file (20 MB at most) to attach to a reply",
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose a file.")]})
        try:
            attachment = agent_upload_store(
                file=upload,
                name=upload.name or "file",
                declared_type=upload.content_type or "",
                size=upload.size or 0,
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(attachment, status=status.HTTP_201_CREATED)


# --- the compensation link, into the chat -----------------------------------------------------


class CompensationLinkRequestSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, help_text="The number of a ticket of this conversation's customer")
    ttl_hours = serializers.IntegerField(
        min_value=MIN_TTL_HOURS,
        max_value=MAX_TTL_HOURS,
        default=DEFAULT_TTL_HOURS,
        help_text="How long the link works, in hours (1–720, default 72).",
    )


class CompensationLinkSentSerializer(serializers.Serializer):
    message = MessageSerializer(help_text="The reply sent, as the messages API shows it")
    expires_at = serializers.DateTimeField()


class CompensationLinkApi(APIView):
    permission_classes = [IsStaffOrAgent]
    parser_classes = [JSONParser]

    @extend_schema(
        request=CompensationLinkRequestSerializer,
        responses={201: CompensationLinkSentSerializer, 200: CompensationLinkSentSerializer},
        summary="Send the customer the link to a ticket's compensation (the same request within a minute sends once)",
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = conversation_get(conversation_id)
        given = CompensationLinkRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            ticket = ticket_get(given.validated_data["ticket"])
        except NotFoundError as exc:
            raise NotFound(_("No such ticket.")) from exc
        sent = compensation_link_send(
            conversation=conversation, ticket=ticket, user=request.user, ttl_hours=given.validated_data["ttl_hours"]
        )
        body = {
            "message": message_payload(sent.message),
            "expires_at": datetime.fromtimestamp(sent.expires_at, tz=UTC) if sent.expires_at else None,
        }
        return Response(
            CompensationLinkSentSerializer(body).data,
            status=status.HTTP_201_CREATED if sent.created else status.HTTP_200_OK,
        )


# --- the agent's conversations ----------------------------------------------------------------


class DeskCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tier = serializers.CharField(allow_null=True)
    tier_name = serializers.CharField(allow_null=True)


class DeskQueueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DeskLastMessageSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    sender_type = serializers.CharField()
    preview = serializers.CharField(help_text="The text's first 80 characters, or a word such as [image]")
    created_at = serializers.DateTimeField()


class DeskConversationSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    contact = serializers.IntegerField(help_text="The routed contact (routing)")
    customer = DeskCustomerSerializer()
    channel = serializers.CharField(help_text="The kind of channel replies go out on")
    topic = serializers.CharField(allow_blank=True)
    queue = DeskQueueSerializer()
    assigned_at = serializers.DateTimeField(allow_null=True)
    transfer_note = serializers.CharField(allow_blank=True)
    last_seq = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="The customer's messages not read yet")
    last_message = DeskLastMessageSerializer(allow_null=True)


class DeskConversationsApi(APIView):
    permission_classes = [IsStaffOrAgent]

    @extend_schema(
        responses={200: DeskConversationSerializer(many=True)},
        summary="The conversations in my hands now, newest activity first",
    )
    def get(self, request: Request) -> Response:
        rows = [desk_conversation_data(row) for row in desk_conversations(request.user)]
        return Response(DeskConversationSerializer(rows, many=True).data)


# --- the supervisor view ----------------------------------------------------------------------


class SupervisedAgentSerializer(serializers.Serializer):
    agent = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    state = serializers.CharField(help_text="offline, available, not_ready or after_work")
    shown_state = serializers.CharField(
        help_text="The state, or reserved (an offer ringing) or busy (contacts in hand)"
    )
    reason = serializers.CharField(allow_null=True, help_text="The not-ready reason's code")
    since = serializers.CharField(allow_null=True)
    after_work_until = serializers.CharField(allow_null=True)
    capacity = serializers.DictField(child=serializers.IntegerField(), help_text="Per media: chat, voice")
    load = serializers.DictField(child=serializers.IntegerField(), help_text="Contacts in hand and ringing, per media")
    ringing = serializers.IntegerField()


class SupervisorViewSerializer(serializers.Serializer):
    agents = SupervisedAgentSerializer(many=True)
    queues = serializers.ListField(child=serializers.DictField(), help_text="As GET /api/v1/queues/")


class SupervisorApi(APIView):
    permission_classes = [IsAdminUser]  # staff users: admins and team leads

    @extend_schema(
        responses={200: SupervisorViewSerializer},
        summary="Agents' states and loads (a team lead's own teams), and the queues",
    )
    def get(self, request: Request) -> Response:
        return Response(SupervisorViewSerializer(supervisor_view(request.user)).data)
