"""One-time sign-in codes of the customer portal (tenant schema).

Neither the code nor the address it went to is stored: only keyed hashes (HMAC with the
server's secret), so a copy of the table tells nothing and cannot be replayed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInCode(models.Model):
    """A code sent to one phone or e-mail address: good once, for a while, for a few tries."""

    destination_digest = models.CharField(_("address (hashed)"), max_length=64)
    code_digest = models.CharField(_("code (hashed)"), max_length=64)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["destination_digest", "-created_at"], name="portal_code_dest_created")]
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")

    def __str__(self) -> str:
        return f"{self.destination_digest[:8]}… {self.created_at:%Y-%m-%d %H:%M}"
