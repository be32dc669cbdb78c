from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        from agents.services.bootstrap import TENANT_SEEDERS
        from callcenter.core.domain_events import subscribe
        from conversations.events import CONTACT_CREATED, CONVERSATION_ENDED
        from routing.services.defaults import routing_seed_defaults
        from routing.subscribers import on_contact_created, on_conversation_ended

        if routing_seed_defaults not in TENANT_SEEDERS:
            TENANT_SEEDERS.append(routing_seed_defaults)
        subscribe(CONTACT_CREATED, on_contact_created)
        subscribe(CONVERSATION_ENDED, on_conversation_ended)
