"""Thin Celery wrappers around the portal's shared machinery; each takes keys and is safe to run twice."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from . import documents, emails
from .pdf import DocumentTooLarge

# Rendering is bounded in time; a document that ran out of it, or is too long, fails the same way again.
PDF_TASK = {
    "soft_time_limit": settings.PDF_RENDER_SOFT_TIME_LIMIT,
    "time_limit": settings.PDF_RENDER_SOFT_TIME_LIMIT + 30,
    "dont_autoretry_for": (SoftTimeLimitExceeded, DocumentTooLarge),
}


@shared_task(ignore_result=True)
def send_queued_mail() -> int:
    return emails.deliver_due()


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8, ignore_result=True, **PDF_TASK
)
def held_email_release(kind: str, pk: int) -> bool:
    """Render the document once, store it, and release the e-mail held for it with the PDF attached."""
    return documents.held_email_release(documents.described(kind), pk)


@shared_task(
    acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3, ignore_result=True, **PDF_TASK
)
def document_prepare(kind: str, pk: int) -> None:
    """Render and store a document that a download found missing; nothing if it is stored by now."""
    documents.document_ensure(documents.described(kind), pk=pk, missing_file=True)


@shared_task(acks_late=True, ignore_result=True)
def held_emails_release_pending() -> int:
    """Beat: re-enqueue held e-mails whose release task never ran (the broker was down at commit)."""
    pending = documents.held_emails_pending()
    for kind, pk in pending:
        held_email_release.delay(kind, pk)
    return len(pending)
