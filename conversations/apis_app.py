"""Messaging for a shop's APP: its backend (channel key) and the APP itself (APP user token)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from channels_app.authentication import ChannelKeyAuthentication, IsAppChannel, channel_of
from channels_app.models import Channel
from channels_app.selectors import channel_app_user_namespace
from channels_app.user_tokens import AppUserPrincipal, AppUserTokenAuthentication, IsAppUser, app_user_token_issue
from conversations.events import message_payload
from conversations.models import Conversation, MessageKind
from conversations.selectors import conversation_current_for, messages_since
from conversations.services import inbound_message_receive
from customers.models import IdentityKind
from customers.services.identity import Contact


class AppUserSerializer(serializers.Serializer):
    app_user_id = serializers.CharField(max_length=128)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, trim_whitespace=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone_verified = serializers.BooleanField(required=False, default=False)


class SendSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MessageKind.values, default=MessageKind.TEXT)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="", max_length=4000)
    attachments = serializers.ListField(child=serializers.DictField(), required=False, default=list, max_length=10)
    client_msg_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class BackendSendSerializer(SendSerializer):
    customer = AppUserSerializer()


class MessageSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    seq = serializers.IntegerField()
    id = serializers.IntegerField()
    kind = serializers.CharField()
    direction = serializers.CharField()
    sender_type = serializers.CharField()
    body = serializers.CharField()
    attachments = serializers.ListField()
    client_msg_id = serializers.CharField()
    channel = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()
    delivered_at = serializers.CharField(allow_null=True)
    read_at = serializers.CharField(allow_null=True)


class TokenRequestSerializer(serializers.Serializer):
    app_user_id = serializers.CharField(max_length=128)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_in = serializers.IntegerField()


def _send(channel: Channel, namespace: str, data: dict[str, Any], who: dict[str, Any]) -> Response:
    received = inbound_message_receive(
        channel=channel,
        contact=Contact(
            kind=IdentityKind.APP_USER,
            namespace=namespace,
            external_id=who["app_user_id"],
            display_name=who.get("name", ""),
            phone=who.get("phone", ""),
            phone_verified=who.get("phone_verified", False),
        ),
        kind=data["kind"],
        body=data["body"],
        attachments=data["attachments"],
        client_msg_id=data["client_msg_id"],
        topic=data["topic"],
    )
    return Response(
        message_payload(received.message), status=status.HTTP_201_CREATED if received.created else status.HTTP_200_OK
    )


def since_params(request: Request) -> tuple[int, int]:
    try:
        since = int(request.query_params.get("since", 0))
        limit = int(request.query_params.get("limit", 200))
    except ValueError as exc:
        raise ValidationError({"since": [_("Send whole numbers for since and limit.")]}) from exc
    return since, limit


class BackendApiView(APIView):
    authentication_classes = [ChannelKeyAuthentication]
    permission_classes = [IsAppChannel]
    parser_classes = [JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "app"

    @property
    def channel(self) -> Channel:
        found = channel_of(self.request)
        assert found is not None  # IsAppChannel let the request in
        return found


class BackendMessagesApi(BackendApiView):
    @extend_schema(
        request=BackendSendSerializer,
        responses={201: MessageSerializer, 200: MessageSerializer},
        summary="Send a customer's message on behalf of the APP (idempotent by client_msg_id)",
    )
    def post(self, request: Request) -> Response:
        data = BackendSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        return _send(self.channel, channel_app_user_namespace(self.channel), values, values["customer"])


class BackendConversationMessagesApi(BackendApiView):
    @extend_schema(
        parameters=[OpenApiParameter("since", int), OpenApiParameter("limit", int)],
        responses={200: MessageSerializer(many=True)},
        summary="Messages of a conversation after since",
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None:
            raise NotFound(_("No such conversation."))
        since, limit = since_params(request)
        return Response([message_payload(m) for m in messages_since(conversation, since, limit)])


class UserTokensApi(BackendApiView):
    @extend_schema(
        request=TokenRequestSerializer,
        responses={201: TokenSerializer},
        summary="A signed token the APP uses for its user (24 hours)",
    )
    def post(self, request: Request) -> Response:
        from channels_app.user_tokens import TOKEN_MAX_AGE_S

        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = app_user_token_issue(channel=self.channel, app_user_id=data.validated_data["app_user_id"])
        return Response({"token": token, "expires_in": TOKEN_MAX_AGE_S}, status=status.HTTP_201_CREATED)


class MyMessagesApi(APIView):
    """The APP's own user: send, and read their current conversation since a sequence number."""

    authentication_classes = [AppUserTokenAuthentication]
    permission_classes = [IsAppUser]
    parser_classes = [JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "app_user"

    def _principal(self) -> AppUserPrincipal:
        assert isinstance(self.request.user, AppUserPrincipal)
        return self.request.user

    @extend_schema(
        request=SendSerializer,
        responses={201: MessageSerializer, 200: MessageSerializer},
        summary="Send a message as the APP's signed-in user",
    )
    def post(self, request: Request) -> Response:
        me = self._principal()
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _send(
            me.channel,
            channel_app_user_namespace(me.channel),
            dict(data.validated_data),
            {"app_user_id": me.app_user_id},
        )

    @extend_schema(
        parameters=[OpenApiParameter("since", int), OpenApiParameter("limit", int)],
        responses={200: MessageSerializer(many=True)},
        summary="My latest conversation's messages after since",
    )
    def get(self, request: Request) -> Response:
        me = self._principal()
        conversation = conversation_current_for(
            kind=IdentityKind.APP_USER, namespace=channel_app_user_namespace(me.channel), external_id=me.app_user_id
        )
        if conversation is None:
            return Response([])
        since, limit = since_params(request)
        return Response([message_payload(m) for m in messages_since(conversation, since, limit)])
