"""Background work of the channels: WeChat pushes are processed here, after the 1-second answer."""

from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="channels_app.tasks.process_wechat_message", base=TenantOnlyTask)
def process_wechat_message(message_id: int) -> None:
    from channels_app.adapters.wechat.services import wechat_inbox_process

    wechat_inbox_process(message_id=message_id)
