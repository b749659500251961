"""Thin Celery wrappers around invoices.services; each takes primary keys and is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8, ignore_result=True)
def invoice_delivery_send(delivery_id: int) -> bool:
    """Render the invoice's PDF once, store it, and release its held e-mail with the PDF attached."""
    return services.invoice_delivery_send(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def invoices_deliver_pending() -> int:
    """Beat: re-enqueue deliveries whose task never ran (the broker was down at commit)."""
    pending = services.invoice_deliveries_pending()
    for delivery_id in pending:
        invoice_delivery_send.delay(delivery_id)
    return len(pending)
