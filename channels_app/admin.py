"""The tenant admin: channels, and their API keys (made here, the raw key shown once)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from callcenter.admin_sites import ReadOnlyAdmin, tenant_admin_site
from channels_app.forms import ChannelForm
from channels_app.models import Channel, ChannelApiKey, WeChatInboxMessage
from channels_app.services.keys import channel_api_key_create, channel_api_key_revoke

KEY_FIELDS = ("channel", "name", "prefix", "created_at", "last_used_at", "revoked_at")


class ChannelApiKeyInline(admin.TabularInline):
    model = ChannelApiKey
    fields = KEY_FIELDS[1:]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # made with the "create API key" action, which shows the key once


@admin.register(Channel, site=tenant_admin_site)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    inlines = [ChannelApiKeyInline]
    actions = ["create_api_key"]

    @admin.action(description=_("Create an API key for the selected channels"), permissions=["change"])
    def create_api_key(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        actor = request.user.get_username()
        for channel in queryset:
            _key, raw = channel_api_key_create(channel=channel, name=actor, actor=actor)
            self.message_user(
                request,
                gettext("API key for %(channel)s: %(key)s. Copy it now: it is not stored and will not be shown again.")
                % {"channel": channel, "key": raw},
                messages.WARNING,
            )


@admin.register(ChannelApiKey, site=tenant_admin_site)
class ChannelApiKeyAdmin(admin.ModelAdmin):
    list_display = KEY_FIELDS
    list_filter = ["channel"]
    fields = KEY_FIELDS
    readonly_fields = KEY_FIELDS
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made from the channel list, where the raw key is shown once

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, not deleted, so its use stays explainable

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ChannelApiKey]) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            channel_api_key_revoke(key=key, actor=request.user.get_username())


@admin.register(WeChatInboxMessage, site=tenant_admin_site)
class WeChatInboxMessageAdmin(ReadOnlyAdmin):
    """What WeChat pushed, as received: for support staff tracing a message."""

    list_display = ["received_at", "channel", "msg_type", "openid", "customer", "processed_at"]
    list_filter = ["msg_type", "channel"]
    search_fields = ["openid", "dedupe_key"]
