"""Thin Celery wrappers around quotes.services; each is safe to run twice."""

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


@shared_task(ignore_result=True)
def quotes_expire_due() -> int:
    return services.quotes_expire_due()


@shared_task(ignore_result=True)
def quotes_remind_due() -> int:
    return services.quotes_remind_due()


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8, ignore_result=True, **PDF_TASK
)
def receipt_send(order_id: int) -> bool:
    """Render the service order's receipt PDF once, store it, and release the held receipt e-mail with it."""
    return services.receipt_send(order_id=order_id)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3, ignore_result=True, **PDF_TASK
)
def receipt_pdf_prepare(order_id: int) -> None:
    """Render and store a receipt PDF that a download found missing; nothing if it is stored by now."""
    services.receipt_pdf_ensure(order_id=order_id, missing_file=True)


@shared_task(ignore_result=True)
def receipts_send_pending() -> int:
    """Beat: re-enqueue receipts whose task never ran (the broker was down at commit)."""
    pending = services.receipts_pending()
    for order_id in pending:
        receipt_send.delay(order_id)
    return len(pending)
