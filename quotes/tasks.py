"""Thin Celery wrappers around quotes.services; each is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def expire_due_quotes() -> int:
    return services.quotes_expire_due()


@shared_task(ignore_result=True)
def remind_expiring_quotes() -> int:
    return services.quotes_remind_due()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8, ignore_result=True)
def receipt_send(order_id: int) -> bool:
    """Render the service order's receipt PDF once, store it, and release the held receipt e-mail with it."""
    return services.receipt_send(order_id=order_id)


@shared_task(ignore_result=True)
def receipts_send_pending() -> int:
    """Beat: re-enqueue receipts whose task never ran (the broker was down at commit)."""
    pending = services.receipts_pending()
    for order_id in pending:
        receipt_send.delay(order_id)
    return len(pending)
