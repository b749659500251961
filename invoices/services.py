"""Every write to invoices: drafts, issue, payment, void, credit notes, e-mail, PDF.

An issued invoice never changes (pretix's rule): a mistake is corrected by a credit note
that references it. Each transition locks the invoice row, checks the state under the lock,
saves with `update_fields`, writes an audit entry and queues its e-mail in the same
transaction; the PDF is rendered and attached by a task after commit.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_record
from accounts.models import CompanyAccount, User
from billing_portal import emails, pdf
from billing_portal.celery import send_on_commit
from billing_portal.money import money

from .models import (
    Invoice,
    InvoiceDelivery,
    InvoiceKind,
    InvoiceLine,
    InvoiceNumberSequence,
    InvoiceState,
)

logger = logging.getLogger(__name__)

PDF_TEMPLATE = "invoices/invoice_pdf.html"
NUMBER_PREFIXES = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


class InvoiceError(Exception):
    """A change that the invoice's state does not allow; the message is shown to staff."""


def _lock(invoice: Invoice) -> Invoice:
    # of=("self",): lock the invoice row only, not the account and contact rows joined to it.
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("account", "account__billing_contact")
        .get(pk=invoice.pk)
    )


def _audit(invoice: Invoice, actor: User | None, action: AuditAction, old_state: str | None, **changes) -> None:
    audit_record(
        account=invoice.account,
        actor=actor,
        action=action,
        target=invoice,
        changes={"state": (old_state, invoice.state), **changes},
    )


def _totals(lines: list[InvoiceLine], tax_rate: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    for line in lines:
        line.line_total = money(line.quantity * line.unit_price)
    subtotal = money(sum((line.line_total for line in lines), Decimal("0")))
    tax = money(subtotal * tax_rate / Decimal(100))
    return subtotal, tax, subtotal + tax


def _next_number(kind: str, year: int) -> str:
    prefix = f"{NUMBER_PREFIXES[kind]}-{year}"
    InvoiceNumberSequence.objects.bulk_create([InvoiceNumberSequence(prefix=prefix)], ignore_conflicts=True)
    sequence = InvoiceNumberSequence.objects.select_for_update().get(prefix=prefix)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{prefix}-{sequence.last_value:05d}"


def _snapshot(invoice: Invoice, account: CompanyAccount) -> list[str]:
    """Copy what the document must keep showing even if the account changes later."""
    invoice.billing_name = account.name
    invoice.billing_address = "\n".join(account.address_lines)
    invoice.account_number = account.number
    invoice.po_number = account.po_number
    invoice.contact_user_id = account.billing_contact.username
    invoice.payment_method = account.payment_method
    invoice.currency = invoice.currency or account.currency
    return [
        "billing_name",
        "billing_address",
        "account_number",
        "po_number",
        "contact_user_id",
        "payment_method",
        "currency",
    ]


def invoice_draft_recalculate(*, invoice: Invoice) -> Invoice:
    """Recompute line totals and the invoice's totals of a draft from its lines."""
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.state != InvoiceState.DRAFT:
            raise InvoiceError(_("An issued invoice cannot be changed; issue a credit note instead."))
        lines = list(locked.lines.all())
        locked.subtotal, locked.tax, locked.total = _totals(lines, locked.tax_rate)
        InvoiceLine.objects.bulk_update(lines, ["line_total"])
        if not locked.currency:
            locked.currency = locked.account.currency
        locked.save(update_fields=["subtotal", "tax", "total", "currency"])
    invoice.subtotal, invoice.tax, invoice.total, invoice.currency = (
        locked.subtotal,
        locked.tax,
        locked.total,
        locked.currency,
    )
    return invoice


def _recipients(account: CompanyAccount) -> list[str]:
    seen: dict[str, str] = {}
    for address in [account.billing_contact.email, *account.invoice_recipients.values_list("email", flat=True)]:
        if address:
            seen.setdefault(address.lower(), address)
    return list(seen.values())


def _deliver(invoice: Invoice, actor: User | None) -> InvoiceDelivery:
    """Queue the invoice e-mail, held until the task attaches the PDF after commit."""
    account = invoice.account
    to = _recipients(account)
    email = emails.queue(
        to=to,
        template="invoice-credit-note" if invoice.is_credit_note else "invoice-issued",
        context={"invoice": invoice, "account": account, "contact": account.billing_contact},
        language=account.language,
        hold=True,
    )
    delivery = InvoiceDelivery.objects.create(invoice=invoice, email=email, recipients=to, created_by=actor)
    from .tasks import invoice_delivery_send  # tasks import this module

    send_on_commit(
        invoice_delivery_send, delivery.pk
    )  # if the broker is down, invoices_deliver_pending (beat) sends it
    return delivery


def invoice_issue(*, invoice: Invoice, actor: User | None) -> Invoice:
    """Give a draft its number and dates, freeze its totals and snapshots, and e-mail it."""
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.state != InvoiceState.DRAFT:
            raise InvoiceError(
                _("Only a draft can be issued; %(number)s is %(state)s.")
                % {"number": locked, "state": locked.get_state_display()}
            )
        lines = list(locked.lines.all())
        if not lines:
            raise InvoiceError(_("An invoice needs at least one line."))
        today = timezone.localdate()
        locked.subtotal, locked.tax, locked.total = _totals(lines, locked.tax_rate)
        InvoiceLine.objects.bulk_update(lines, ["line_total"])
        fields = _snapshot(locked, locked.account)
        locked.number = _next_number(locked.kind, today.year)
        locked.issue_date = today
        locked.due_date = today + timedelta(days=locked.payment_terms_days)
        locked.issued_at = timezone.now()
        locked.state = InvoiceState.ISSUED
        locked.save(
            update_fields=[
                *fields,
                "number",
                "issue_date",
                "due_date",
                "issued_at",
                "state",
                "subtotal",
                "tax",
                "total",
            ]
        )
        _audit(
            locked,
            actor,
            AuditAction.INVOICE_ISSUE,
            InvoiceState.DRAFT,
            number=(None, locked.number),
            total=(None, locked.total),
        )
        _deliver(locked, actor)
    return locked


def invoice_mark_paid(*, invoice: Invoice, actor: User | None) -> Invoice:
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.state != InvoiceState.ISSUED or locked.is_credit_note:
            raise InvoiceError(
                _("Only an open invoice can be marked paid; %(number)s is %(state)s.")
                % {"number": locked, "state": locked.get_state_display()}
            )
        locked.state = InvoiceState.PAID
        locked.paid_at = timezone.now()
        locked.save(update_fields=["state", "paid_at"])
        _audit(locked, actor, AuditAction.INVOICE_MARK_PAID, InvoiceState.ISSUED)
    return locked


def _credit_note_issue_locked(original: Invoice, actor: User | None, reason: str) -> Invoice:
    """Issue a credit note cancelling `original` in full; the caller holds its row lock."""
    today = timezone.localdate()
    note = Invoice(
        account=original.account,
        kind=InvoiceKind.CREDIT_NOTE,
        corrects=original,
        state=InvoiceState.ISSUED,
        number=_next_number(InvoiceKind.CREDIT_NOTE, today.year),
        issue_date=today,
        due_date=today,
        issued_at=timezone.now(),
        payment_terms_days=0,
        service_period_start=original.service_period_start,
        service_period_end=original.service_period_end,
        currency=original.currency,
        billing_name=original.billing_name,
        billing_address=original.billing_address,
        account_number=original.account_number,
        po_number=original.po_number,
        contact_user_id=original.account.billing_contact.username,
        payment_method=original.payment_method,
        tax_rate=original.tax_rate,
        subtotal=-original.subtotal,
        tax=-original.tax,
        total=-original.total,
        note=reason,
    )
    note.save()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=note,
                position=line.position,
                description=line.description,
                product=line.product,
                quantity=line.quantity,
                unit_price=-line.unit_price,
                line_total=-line.line_total,
            )
            for line in original.lines.all()
        ]
    )
    audit_record(
        account=note.account,
        actor=actor,
        action=AuditAction.INVOICE_CREDIT_NOTE_ISSUE,
        target=note,
        changes={"state": (None, note.state), "number": (None, note.number), "corrects": (None, original.number)},
    )
    _deliver(note, actor)
    return note


def invoice_void(*, invoice: Invoice, actor: User | None, reason: str = "") -> Invoice:
    """Cancel an open invoice: it becomes void and a credit note for its full amount is issued and e-mailed."""
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.state != InvoiceState.ISSUED or locked.is_credit_note:
            raise InvoiceError(
                _("Only an open invoice can be voided; %(number)s is %(state)s.")
                % {"number": locked, "state": locked.get_state_display()}
            )
        locked.state = InvoiceState.VOID
        locked.voided_at = timezone.now()
        locked.save(update_fields=["state", "voided_at"])
        _audit(locked, actor, AuditAction.INVOICE_VOID, InvoiceState.ISSUED)
        _credit_note_issue_locked(locked, actor, reason)
    return locked


def invoice_credit_note_issue(*, invoice: Invoice, actor: User | None, reason: str = "") -> Invoice:
    """Correct an issued or paid invoice with a credit note for its full amount; returns the credit note.

    An open invoice becomes void; a paid one stays paid (the credit note documents the refund).
    """
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.is_credit_note or locked.state not in (InvoiceState.ISSUED, InvoiceState.PAID):
            raise InvoiceError(
                _("Only an issued or paid invoice can be corrected; %(number)s is %(state)s.")
                % {"number": locked, "state": locked.get_state_display()}
            )
        if locked.credit_notes.exists():
            raise InvoiceError(_("%(number)s has already been corrected by a credit note.") % {"number": locked})
        if locked.state == InvoiceState.ISSUED:
            locked.state = InvoiceState.VOID
            locked.voided_at = timezone.now()
            locked.save(update_fields=["state", "voided_at"])
            _audit(locked, actor, AuditAction.INVOICE_VOID, InvoiceState.ISSUED)
        return _credit_note_issue_locked(locked, actor, reason)


def invoice_resend(*, invoice: Invoice, actor: User | None) -> InvoiceDelivery:
    """E-mail an issued invoice again, to today's billing contact and invoice recipients."""
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.state == InvoiceState.DRAFT:
            raise InvoiceError(_("A draft cannot be e-mailed; issue it first."))
        if locked.state == InvoiceState.VOID:
            raise InvoiceError(_("A void invoice is not sent again; its credit note was sent when it was voided."))
        audit_record(account=locked.account, actor=actor, action=AuditAction.INVOICE_RESEND, target=locked)
        return _deliver(locked, actor)


def _seller() -> dict:
    return {
        "name": settings.SELLER_NAME,
        "address_lines": settings.SELLER_ADDRESS,
        "vat_id": settings.SELLER_VAT_ID,
        "email": settings.SELLER_EMAIL,
        "phone": settings.SELLER_PHONE,
        "bank_name": settings.SELLER_BANK_NAME,
        "bank_account_holder": settings.SELLER_BANK_ACCOUNT_HOLDER or settings.SELLER_NAME,
        "iban": settings.SELLER_IBAN,
        "bic": settings.SELLER_BIC,
        "check_address_lines": settings.SELLER_CHECK_ADDRESS or settings.SELLER_ADDRESS,
    }


def invoice_pdf_context(invoice: Invoice) -> dict:
    with translation.override(invoice.account.language):
        page_label = pdf.counter_content(gettext("Page %(page)s of %(pages)s"))
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "seller": _seller(),
        "portal_url": settings.PORTAL_URL,
        "page_counter": page_label,
    }


def invoice_pdf_render(invoice: Invoice) -> bytes:
    """The PDF of an issued invoice, in its account's language (not stored); DocumentTooLarge past PDF_MAX_LINES."""
    pdf.check_lines(invoice.lines.count(), document=invoice.number)
    return pdf.render_pdf(PDF_TEMPLATE, invoice_pdf_context(invoice), language=invoice.account.language)


def invoice_pdf_ensure(*, invoice_id: int, missing_file: bool = False) -> Invoice:
    """Return the invoice with its PDF stored, rendering it first if no file exists yet.

    Renders at most once: the render happens under the invoice's row lock, so a concurrent
    caller waits and then finds the stored file. `missing_file=True` (the stored name points
    at nothing, e.g. media lost) renders again; the document is built from the invoice's
    snapshots, so it comes out the same.
    """
    invoice = Invoice.objects.select_related("account").get(pk=invoice_id)
    if invoice.pdf and not missing_file:
        return invoice
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.state == InvoiceState.DRAFT:
            raise InvoiceError(_("A draft has no PDF."))
        if locked.pdf and missing_file and not locked.pdf.storage.exists(locked.pdf.name):
            locked.pdf = ""
        if not locked.pdf:
            locked.pdf.save(locked.pdf_filename, ContentFile(invoice_pdf_render(locked)), save=False)
            locked.save(update_fields=["pdf"])
            logger.info("Rendered the PDF of %s", locked.number)
    return locked


def invoice_pdf_stored(*, invoice: Invoice) -> File | None:
    """The invoice's stored PDF opened for reading, or None while it is not (or no longer) stored."""
    if not invoice.pdf:
        return None
    try:
        return invoice.pdf.open("rb")
    except FileNotFoundError:
        logger.warning("The stored PDF of %s is missing; it is rendered again by a task.", invoice.number)
        return None


def invoice_pdf_prepare_later(*, invoice: Invoice) -> bool:
    """Queue the render of an invoice's missing PDF; False if it is too long ever to be rendered."""
    if pdf.too_many_lines(invoice.lines.count()):
        return False
    from .tasks import invoice_pdf_prepare  # tasks import this module

    pdf.queue_render_once(invoice_pdf_prepare, invoice.pk)
    return True


def invoice_pdf_open(*, invoice: Invoice) -> tuple[Invoice, File]:
    """The invoice and its PDF opened for reading: the stored file, rendered first only if there is none."""
    if not invoice.pdf:
        invoice = invoice_pdf_ensure(invoice_id=invoice.pk)
    try:
        return invoice, invoice.pdf.open("rb")
    except FileNotFoundError:
        logger.warning("The stored PDF of %s is missing; rendering it again.", invoice.number)
        invoice = invoice_pdf_ensure(invoice_id=invoice.pk, missing_file=True)
        return invoice, invoice.pdf.open("rb")


def invoice_delivery_send(*, delivery_id: int) -> bool:
    """Attach the stored PDF to a held invoice e-mail and release it; a second call does nothing."""
    delivery = InvoiceDelivery.objects.select_related("invoice").get(pk=delivery_id)
    if delivery.released_at:
        return False
    if delivery.email_id is None:  # its e-mail was deleted from the log: nothing left to send
        InvoiceDelivery.objects.filter(pk=delivery_id, released_at__isnull=True).update(released_at=timezone.now())
        return False
    invoice, file = invoice_pdf_open(invoice=delivery.invoice)
    with file:
        content = file.read()
    with transaction.atomic():
        locked = InvoiceDelivery.objects.select_for_update().get(pk=delivery_id)
        if locked.released_at or locked.email_id is None:
            return False
        emails.release(locked.email_id, attachments={invoice.pdf_filename: content})
        locked.released_at = timezone.now()
        locked.save(update_fields=["released_at"])
    return True


def invoice_deliveries_pending(*, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Deliveries whose task never ran (broker down, worker lost), for the periodic sweep."""
    cutoff = timezone.now() - older_than
    return list(
        InvoiceDelivery.objects.filter(released_at__isnull=True, created_at__lte=cutoff).values_list("pk", flat=True)[
            :200
        ]
    )
