from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "workbench"
    verbose_name = _("Agent workbench")

    def ready(self) -> None:
        from agents.services.bootstrap import TENANT_SEEDERS
        from workbench.services.defaults import workbench_seed_defaults

        if workbench_seed_defaults not in TENANT_SEEDERS:
            TENANT_SEEDERS.append(workbench_seed_defaults)
