"""Background work of the channels: WeChat pushes are processed here, after the 1-second answer."""

from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="channels_app.tasks.process_wechat_message", base=TenantOnlyTask)
def process_wechat_message(message_id: int) -> None:
    from channels_app.adapters.wechat.services import wechat_inbox_process

    wechat_inbox_process(message_id=message_id)


@shared_task(name="channels_app.tasks.deliver_outbound", base=TenantOnlyTask)
def deliver_outbound(delivery_id: int) -> None:
    from channels_app.services.outbox import delivery_attempt

    delivery_attempt(delivery_id=delivery_id)


@shared_task(name="channels_app.tasks.sweep_outbox", base=TenantOnlyTask)
def sweep_outbox() -> int:
    from channels_app.services.outbox import deliveries_due_resend

    return deliveries_due_resend()
