from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from agents.services.seats import release_on_logout

        user_logged_out.connect(release_on_logout, dispatch_uid="agents.release_on_logout")
