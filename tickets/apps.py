from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from agents.services.bootstrap import TENANT_SEEDERS
        from customers.services.merge import MOVABLE
        from tickets.services.defaults import tickets_seed_defaults

        if tickets_seed_defaults not in TENANT_SEEDERS:
            TENANT_SEEDERS.append(tickets_seed_defaults)
        # A customer merge moves their tickets to the surviving profile (and un-merge moves them back).
        if ("tickets.Ticket", "customer") not in MOVABLE:
            MOVABLE.append(("tickets.Ticket", "customer"))
