"""A widget channel's settings (``Channel.config``), checked, with defaults for everything.

Keys: ``greeting`` ({"zh-hans": ..., "en": ...} or one string), ``color`` (#rrggbb),
``language`` ("auto", "zh-hans" or "en"), ``allowed_origins`` (the shop's sites, e.g.
"https://shop.example.cn"), ``prechat`` ("off", "optional" or "required"), ``topics`` (the
pre-chat topic choices) and ``max_upload_mb``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from channels_app.models import Channel, ChannelKind

COLOR = re.compile(r"^#[0-9a-fA-F]{6}\Z")
LANGUAGES = ("auto", "zh-hans", "en")
PRECHAT_MODES = ("off", "optional", "required")
DEFAULT_GREETING = {"zh-hans": "您好，请问有什么可以帮您？", "en": "Hello! How can we help you?"}
DEFAULT_COLOR = "#1677ff"
MAX_UPLOAD_MB_CEILING = 20
MAX_TOPICS = 12


@dataclass(frozen=True)
class WidgetConfig:
    greeting: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_GREETING))
    color: str = DEFAULT_COLOR
    language: str = "auto"
    allowed_origins: frozenset[str] = frozenset()
    prechat: str = "optional"
    topics: tuple[str, ...] = ()
    max_upload_mb: int = 10

    def public(self) -> dict[str, Any]:
        """What the widget script may read: no origins list, nothing secret."""
        return {
            "greeting": self.greeting,
            "color": self.color,
            "language": self.language,
            "prechat": self.prechat,
            "topics": list(self.topics),
            "max_upload_mb": self.max_upload_mb,
        }


def normalize_origin(value: str) -> str:
    parts = urlsplit(value.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def widget_config_clean(raw: object) -> WidgetConfig:
    """Check a widget's settings; every problem is reported at once, keyed by setting."""
    config = raw if isinstance(raw, dict) else {}
    errors: dict[str, list[str]] = {}
    greeting = config.get("greeting", DEFAULT_GREETING)
    if isinstance(greeting, str):
        greeting = {"zh-hans": greeting, "en": greeting}
    if not isinstance(greeting, dict) or not all(isinstance(v, str) and len(v) <= 500 for v in greeting.values()):
        errors["greeting"] = [_("A text of at most 500 characters, or one per language.")]
        greeting = dict(DEFAULT_GREETING)
    color = config.get("color", DEFAULT_COLOR)
    if not isinstance(color, str) or not COLOR.match(color):
        errors["color"] = [_("A colour such as #1677ff.")]
    language = config.get("language", "auto")
    if language not in LANGUAGES:
        errors["language"] = [_("One of: auto, zh-hans, en.")]
    prechat = config.get("prechat", "optional")
    if prechat not in PRECHAT_MODES:
        errors["prechat"] = [_("One of: off, optional, required.")]
    origins = config.get("allowed_origins", [])
    cleaned_origins: set[str] = set()
    if not isinstance(origins, list):
        errors["allowed_origins"] = [_("A list of sites such as https://shop.example.cn.")]
    else:
        from tenants.validators import validate_origin

        for origin in origins:
            try:
                if not isinstance(origin, str):
                    raise ValidationError("")
                validate_origin(origin)
                cleaned_origins.add(normalize_origin(origin))
            except ValidationError:
                errors.setdefault("allowed_origins", []).append(
                    _("%(origin)s is not a site such as https://shop.example.cn.") % {"origin": str(origin)[:100]}
                )
    topics = config.get("topics", [])
    if (
        not isinstance(topics, list)
        or len(topics) > MAX_TOPICS
        or not all(isinstance(t, str) and 0 < len(t) <= 60 for t in topics)
    ):
        errors["topics"] = [_("Up to %(max)d topics of at most 60 characters.") % {"max": MAX_TOPICS}]
        topics = []
    max_mb = config.get("max_upload_mb", 10)
    if not isinstance(max_mb, int) or isinstance(max_mb, bool) or not 1 <= max_mb <= MAX_UPLOAD_MB_CEILING:
        errors["max_upload_mb"] = [_("A whole number from 1 to %(max)d.") % {"max": MAX_UPLOAD_MB_CEILING}]
    if errors:
        raise ValidationError(errors)
    return WidgetConfig(
        greeting={str(k): v for k, v in greeting.items()},
        color=color,
        language=language,
        allowed_origins=frozenset(cleaned_origins),
        prechat=prechat,
        topics=tuple(topics),
        max_upload_mb=max_mb,
    )


def widget_config_of(channel: Channel) -> WidgetConfig:
    """The channel's settings; a channel saved with bad settings falls back to the defaults."""
    try:
        return widget_config_clean(channel.config)
    except ValidationError:
        return WidgetConfig()


def widget_channel_get(channel_id: object) -> Channel | None:
    """The active widget channel with this id in the current schema, or None for anything else."""
    if not isinstance(channel_id, int) and not (isinstance(channel_id, str) and channel_id.isdigit()):
        return None
    return Channel.objects.filter(pk=int(channel_id), kind=ChannelKind.WEB_WIDGET, is_active=True).first()


def widget_origin_allowed(channel: Channel, origin: str, host_header: str) -> bool:
    """The tenant's own host, or one of the sites registered for this widget. Nothing else."""
    from callcenter.core.asgi import origin_allowed

    return origin_allowed(origin, host_header, set(widget_config_of(channel).allowed_origins))
