"""Thin Celery wrappers around invoices.services; each takes primary keys and is safe to run twice."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from billing_portal.pdf import DocumentTooLarge

from . import services

# Rendering is bounded in time; a document that ran out of it, or is too long, fails the same way again.
PDF_TASK = {
    "soft_time_limit": settings.PDF_RENDER_SOFT_TIME_LIMIT,
    "time_limit": settings.PDF_RENDER_SOFT_TIME_LIMIT + 30,
    "dont_autoretry_for": (SoftTimeLimitExceeded, DocumentTooLarge),
}


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8, ignore_result=True, **PDF_TASK
)
def invoice_delivery_send(delivery_id: int) -> bool:
    """Render the invoice's PDF once, store it, and release its held e-mail with the PDF attached."""
    return services.invoice_delivery_send(delivery_id=delivery_id)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3, ignore_result=True, **PDF_TASK
)
def invoice_pdf_prepare(invoice_id: int) -> None:
    """Render and store an invoice's PDF that a download found missing; nothing if it is stored by now."""
    services.invoice_pdf_ensure(invoice_id=invoice_id, missing_file=True)


@shared_task(acks_late=True, ignore_result=True)
def invoices_deliver_pending() -> int:
    """Beat: re-enqueue deliveries whose task never ran (the broker was down at commit)."""
    pending = services.invoice_deliveries_pending()
    for delivery_id in pending:
        invoice_delivery_send.delay(delivery_id)
    return len(pending)
