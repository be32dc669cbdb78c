"""Writes of channels themselves (the tenant admin edits them too, through channels_app.forms)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from channels_app.adapters.widget.config import widget_config_clean
from channels_app.models import Channel, ChannelKind


def widget_channel_ensure(*, name: str, config: dict[str, Any]) -> Channel:
    """The widget channel called ``name``, created with ``config`` if missing (its settings are checked)."""
    widget_config_clean(config)
    with transaction.atomic():
        channel, _created = Channel.objects.get_or_create(
            kind=ChannelKind.WEB_WIDGET, name=name, defaults={"config": config}
        )
    return channel
