"""Background work of the channels: WeChat pushes are processed here, after the 1-second answer."""

from celery import Task, shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="channels_app.tasks.process_wechat_message", base=TenantOnlyTask)
def process_wechat_message(message_id: int) -> None:
    from channels_app.adapters.wechat.services import wechat_inbox_process

    row = wechat_inbox_process(message_id=message_id)
    if row is not None and row.msg_type == "voice":  # the audio behind its wechat-media: reference
        fetch_wechat_media.delay_on_commit(row.pk)


@shared_task(name="channels_app.tasks.deliver_outbound", base=TenantOnlyTask)
def deliver_outbound(delivery_id: int) -> None:
    from channels_app.services.outbox import delivery_attempt

    delivery_attempt(delivery_id=delivery_id)


@shared_task(name="channels_app.tasks.sweep_outbox", base=TenantOnlyTask)
def sweep_outbox() -> int:
    from channels_app.services.outbox import deliveries_due_resend

    return deliveries_due_resend()


@shared_task(name="channels_app.tasks.fetch_wechat_media", base=TenantOnlyTask, bind=True, max_retries=5)
def fetch_wechat_media(self: Task, inbox_id: int) -> int:
    """Download a voice message's audio from WeChat (kept there 3 days) into our storage."""
    from callcenter.integrations.wechat import WeChatApiError
    from channels_app.adapters.wechat.media import wechat_media_fetch

    try:
        return wechat_media_fetch(inbox_id=inbox_id)
    except WeChatApiError as exc:
        if not exc.retryable:
            return 0  # logged by the client; the message keeps its wechat-media: reference
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 1800)) from exc
