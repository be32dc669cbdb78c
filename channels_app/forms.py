"""The channel form of the tenant admin: secrets in ``config`` are never shown back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from channels_app.adapters.app.webhooks import webhook_config_errors
from channels_app.models import Channel, ChannelKind

SECRET_KEYS = frozenset({"token", "encoding_aes_key", "app_secret", "webhook_secret"})
MASK = "********"


def masked(config: dict[str, Any]) -> dict[str, Any]:
    return {key: (MASK if key in SECRET_KEYS and value else value) for key, value in config.items()}


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["kind", "name", "is_active", "config"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.config, dict):
            self.initial["config"] = masked(self.instance.config)

    def clean_config(self) -> dict[str, Any]:
        config = self.cleaned_data.get("config") or {}
        if not isinstance(config, dict):
            raise forms.ValidationError(_("Enter a JSON object."))
        stored = self.instance.config if self.instance.pk and isinstance(self.instance.config, dict) else {}
        # A secret left as the mask keeps its stored value; a new value replaces it.
        cleaned = {key: (stored.get(key, "") if value == MASK else value) for key, value in config.items()}
        if self.cleaned_data.get("kind") == ChannelKind.APP:
            problems = webhook_config_errors(cleaned)
            if problems:  # the message names the key only: the secret itself is never echoed
                raise forms.ValidationError([f"{key}: {problem}" for key, problem in problems.items()])
        return cleaned
