"""One entry point for every e-mail the portal sends.

An e-mail is a row in post-office's table, written in the caller's transaction: it exists
if and only if the change that caused it committed. Delivery happens on commit, in a
Celery task that takes each row under a lock, so two workers never send the same one.
"""

import logging
import smtplib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from post_office import mail
from post_office.connections import connections
from post_office.models import STATUS, Email

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
# A held e-mail waits for its attachment (a PDF rendered by a task after commit): `release()` frees it.
HELD_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)


def queue(
    *,
    to: Iterable[str],
    template: str,
    context: dict,
    language: str | None = None,
    attachments: dict | None = None,
    hold: bool = False,
    zone: tzinfo | None = None,
) -> Email:
    """Render `emails/<template>-{subject,body}.txt` and `-body.html` in `language` and queue them.

    Times are shown in `zone`, by default the time zone of the context's `account` (its `zone`), else UTC.

    Must be called inside the transaction of the change that causes the e-mail. With
    `hold=True` the e-mail is stored but not sent until `release()` gives it its attachments.
    """
    context = {"portal_url": settings.PORTAL_URL, **context}
    zone = zone or getattr(context.get("account"), "zone", None) or UTC
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(zone):
        subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    email = mail.send(
        recipients=list(to),
        sender=settings.DEFAULT_FROM_EMAIL,
        subject=subject,
        message=text,
        html_message=html,
        attachments=attachments,
        priority="medium",
        scheduled_time=HELD_UNTIL if hold else None,
    )
    if not hold:
        _send_on_commit()
    return email


def release(email_id: int, *, attachments: dict) -> bool:
    """Attach files (name -> bytes) to a held e-mail and let it go; a second call does nothing."""
    from django.core.files.base import ContentFile
    from post_office.utils import create_attachments

    with transaction.atomic():
        email = Email.objects.select_for_update().get(pk=email_id)
        if email.scheduled_time != HELD_UNTIL:
            return False
        files = {name: ContentFile(content, name=name) for name, content in attachments.items()}
        email.attachments.add(*create_attachments(files))
        email.scheduled_time = None
        email.save(update_fields=["scheduled_time", "last_updated"])
        _send_on_commit()
    return True


def requeue_failed(email_id: int) -> Email | None:
    """Queue a failed e-mail again, to the recipients it had, with a fresh series of retries.

    Returns the e-mail, or None when it is not failed (sent, queued or being retried), which is
    left as it is: sending a delivered e-mail again would repeat a one-time link.
    """
    with transaction.atomic():
        email = Email.objects.select_for_update().filter(pk=email_id, status=STATUS.failed).first()
        if email is None:
            return None
        email.status = STATUS.queued
        email.number_of_retries = 0
        email.scheduled_time = None
        email.save(update_fields=["status", "number_of_retries", "scheduled_time", "last_updated"])
        _send_on_commit()
    return email


def _send_on_commit() -> None:
    from .celery import send_on_commit
    from .tasks import send_queued_mail

    send_on_commit(send_queued_mail)


def _is_permanent(error: Exception) -> bool:
    return (
        isinstance(error, smtplib.SMTPResponseException)
        and 500 <= error.smtp_code < 600
        or isinstance(error, smtplib.SMTPRecipientsRefused)
        and all(code >= 500 for code, _ in error.recipients.values())
    )


def deliver(email_id: int) -> str | None:
    """Send one queued e-mail, holding its row lock so that no other worker sends it too.

    A temporary failure (4xx, timeout, refused connection) requeues it with exponential
    backoff; a permanent one (5xx) or too many retries marks it failed for staff to see.
    """
    max_retries = settings.POST_OFFICE["MAX_RETRIES"]
    base_interval = settings.POST_OFFICE["RETRY_INTERVAL"]
    with transaction.atomic():
        email = (
            Email.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status__in=[STATUS.queued, STATUS.requeued])
            .first()
        )
        if email is None:
            return None
        try:
            email.dispatch(
                commit=False, disconnect_after_delivery=False, connection=connections[email.backend_alias or "default"]
            )
        except Exception as error:
            retries = email.number_of_retries or 0
            if _is_permanent(error) or retries >= max_retries:
                email.status = STATUS.failed
            else:
                email.status = STATUS.requeued
                email.number_of_retries = retries + 1
                email.scheduled_time = timezone.now() + min(base_interval * 2**retries, MAX_BACKOFF)
            email.save(update_fields=["status", "number_of_retries", "scheduled_time", "last_updated"])
            email.logs.create(status=STATUS.failed, message=str(error)[:2000], exception_type=type(error).__name__)
            logger.warning("E-mail %s not delivered (%s): %s", email.pk, email.get_status_display(), error)
            return email.get_status_display()
        email.status = STATUS.sent
        email.save(update_fields=["status", "last_updated"])
        email.logs.create(status=STATUS.sent)
        return "sent"


def deliver_due(limit: int = 500) -> int:
    """Deliver every queued e-mail that is due; returns how many were sent."""
    from django.db.models import Q

    now = timezone.now()
    due = (
        Email.objects.filter(status__in=[STATUS.queued, STATUS.requeued])
        .filter(Q(scheduled_time__isnull=True) | Q(scheduled_time__lte=now))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    try:
        for email_id in list(due):
            sent += deliver(email_id) == "sent"
    finally:
        connections.close()
    return sent
