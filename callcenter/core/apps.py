from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "callcenter.core"
    label = "core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from callcenter.core import logging as cc_logging
        from callcenter.core.auth import bind_session_to_tenant

        cc_logging.configure()
        user_logged_in.connect(bind_session_to_tenant, dispatch_uid="core.bind_session_to_tenant")
