"""Abstract model pieces shared by the tenant apps (no tables of their own)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualNamed(models.Model):
    """A tenant-defined code with a Chinese and an English name, shown in the reader's language."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        if self.name_en and not (get_language() or "").startswith("zh"):
            return self.name_en
        return self.name
