"""The receipt of a placed service order: its PDF, rendered once, and the held e-mail it is attached to."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from post_office.models import Email

from billing_portal import emails, pdf

from ..models import (
    QuoteLine,
    ServiceOrder,
)
from ._common import QuoteError

logger = logging.getLogger(__name__)


def _receipt_context(order: ServiceOrder) -> dict:
    quotes = list(order.accepted_quotes.order_by("pk"))
    lines = list(QuoteLine.objects.filter(quote__in=quotes).select_related("product").order_by("quote_id", "id"))
    return {
        "order": order,
        "account": order.account,
        "quotes": quotes,
        "lines": lines,
        "portal_url": settings.PORTAL_URL,
        "page_counter": pdf.counter_content(gettext("Page %(page)s of %(pages)s")),
    }


def _receipt_line_count(order: ServiceOrder) -> int:
    return QuoteLine.objects.filter(quote__service_order=order).count()


def receipt_pdf_render(order: ServiceOrder) -> bytes:
    """The receipt of a placed service order as PDF, in its account's language (not stored).

    Raises DocumentTooLarge past PDF_MAX_LINES.
    """
    pdf.check_lines(_receipt_line_count(order), document=order.receipt_number or order.number)
    language = order.account.language
    with translation.override(language):
        context = _receipt_context(order)
    return pdf.render_pdf("quotes/receipt_pdf.html", context, language=language)


def receipt_pdf_ensure(*, order_id: int, missing_file: bool = False) -> ServiceOrder:
    """The placed order with its receipt PDF stored: rendered at most once, under the order's row lock.

    `missing_file=True` (the stored name points at nothing, e.g. media lost) renders it again.
    """
    order = ServiceOrder.objects.select_related("account").get(pk=order_id)
    if order.receipt_pdf and not missing_file:
        return order
    with transaction.atomic():
        locked = ServiceOrder.objects.select_for_update(of=("self",)).select_related("account").get(pk=order_id)
        if not locked.is_placed:
            raise QuoteError(_("A service order has a receipt once it is placed."))
        if locked.receipt_pdf and missing_file and not locked.receipt_pdf.storage.exists(locked.receipt_pdf.name):
            locked.receipt_pdf = ""
        if not locked.receipt_pdf:
            locked.receipt_pdf.save(locked.receipt_filename, ContentFile(receipt_pdf_render(locked)), save=False)
            locked.save(update_fields=["receipt_pdf"])
            logger.info("Rendered the receipt of %s", locked.number)
    return locked


def receipt_pdf_stored(*, order: ServiceOrder) -> File | None:
    """The order's stored receipt PDF opened for reading, or None while it is not (or no longer) stored."""
    if not order.receipt_pdf:
        return None
    try:
        return order.receipt_pdf.open("rb")
    except FileNotFoundError:
        logger.warning("The stored receipt of %s is missing; it is rendered again by a task.", order.number)
        return None


def receipt_pdf_prepare_later(*, order: ServiceOrder) -> bool:
    """Queue the render of an order's missing receipt PDF; False if it is too long ever to be rendered."""
    if pdf.too_many_lines(_receipt_line_count(order)):
        return False
    from ..tasks import receipt_pdf_prepare  # tasks import this module

    pdf.queue_render_once(receipt_pdf_prepare, order.pk)
    return True


def receipt_pdf_open(*, order: ServiceOrder) -> tuple[ServiceOrder, File]:
    """The order and its receipt PDF opened for reading, rendered first only if no file is stored."""
    order = receipt_pdf_ensure(order_id=order.pk)
    try:
        return order, order.receipt_pdf.open("rb")
    except FileNotFoundError:
        logger.warning("The stored receipt of %s is missing; rendering it again.", order.number)
        order = receipt_pdf_ensure(order_id=order.pk, missing_file=True)
        return order, order.receipt_pdf.open("rb")


def receipt_send(*, order_id: int) -> bool:
    """Attach the receipt PDF to the held receipt e-mail and let it go; a second call does nothing."""
    order = ServiceOrder.objects.get(pk=order_id)
    if (
        order.receipt_email_id is None
        or not Email.objects.filter(pk=order.receipt_email_id, scheduled_time=emails.HELD_UNTIL).exists()
    ):
        return False
    order, file = receipt_pdf_open(order=order)
    with file:
        content = file.read()
    return emails.release(order.receipt_email_id, attachments={order.receipt_filename: content})


def receipts_pending(*, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Placed orders whose receipt e-mail is still held (broker down, worker lost), for the beat sweep."""
    cutoff = timezone.now() - older_than
    return list(
        ServiceOrder.objects.filter(
            state=ServiceOrder.State.PLACED, placed_at__lte=cutoff, receipt_email__scheduled_time=emails.HELD_UNTIL
        ).values_list("pk", flat=True)[:200]
    )
