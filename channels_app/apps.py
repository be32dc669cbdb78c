from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels_app.adapters.app.delivery import connect as connect_app_channel

        # The APP channel: agents' messages go to the shop's webhook; new conversations to its sockets.
        connect_app_channel()

        from callcenter.core.domain_events import subscribe
        from channels_app.adapters.wechat import outbound as wechat_outbound
        from conversations.events import MESSAGE_OUTBOUND

        # WeChat: agents' replies go out through the customer-service message API (outbox).
        subscribe(MESSAGE_OUTBOUND, wechat_outbound.on_message_outbound)
        wechat_outbound.register()
