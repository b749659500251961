from celery import shared_task

from . import emails


@shared_task(ignore_result=True)
def send_queued_mail() -> int:
    return emails.deliver_due()
