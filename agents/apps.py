from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from agents.services.seats import release_on_logout

        user_logged_out.connect(release_on_logout, dispatch_uid="agents.release_on_logout")

        from django.db.models.signals import m2m_changed, post_delete, post_save

        from agents.models import AgentProfile, AgentSkill, Pool, Skill
        from agents.profile_cache import profiles_changed

        # Bridges only: whatever path edits an agent (admin, services, shell), routing's cached
        # copy of agents' skills and pools is marked stale.
        def stale(**_kwargs: object) -> None:
            profiles_changed()

        for model in (AgentProfile, AgentSkill, Skill, Pool):
            post_save.connect(stale, sender=model, dispatch_uid=f"agents.stale.save.{model.__name__}", weak=False)
            post_delete.connect(stale, sender=model, dispatch_uid=f"agents.stale.delete.{model.__name__}", weak=False)
        m2m_changed.connect(stale, sender=AgentProfile.pools.through, dispatch_uid="agents.stale.pools", weak=False)
