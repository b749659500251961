"""Every write to invoices: drafts, issue, payment, void, credit notes, e-mail, PDF.

An issued invoice never changes (pretix's rule): a mistake is corrected by a credit note
that references it. Each transition locks the invoice row, checks the state under the lock,
saves with `update_fields`, writes an audit entry and queues its e-mail in the same
transaction; the PDF is rendered and attached by a task after commit.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_record, audited_save
from accounts.models import CompanyAccount, PaymentMethod, User
from accounts.tax import TaxCategory
from billing_portal import documents, emails
from billing_portal.money import money
from billing_portal.templatetags.money import percent
from quotes.models import QuoteLine, ServiceOrder

from .documents import INVOICE_EMAIL
from .einvoice import cii_xml
from .errors import InvoiceError
from .models import (
    Invoice,
    InvoiceDelivery,
    InvoiceKind,
    InvoiceLine,
    InvoiceNumberSequence,
    InvoiceState,
)

logger = logging.getLogger(__name__)

NUMBER_PREFIXES = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


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
    invoice.buyer_vat_id = account.vat_id
    invoice.buyer_street = account.address_line1
    invoice.buyer_postal_code = account.postal_code
    invoice.buyer_city = account.city
    invoice.buyer_country = str(account.country)
    invoice.contact_user_id = account.billing_contact.username
    invoice.payment_method = account.payment_method
    invoice.payment_card_brand = account.card_brand if account.payment_method == PaymentMethod.CARD else ""
    last4 = {PaymentMethod.CARD: account.card_last4, PaymentMethod.DIRECT_DEBIT: account.bank_account_last4}
    invoice.payment_last4 = last4.get(account.payment_method, "")
    mandate = account.sepa_mandate if account.payment_method == PaymentMethod.SEPA_DEBIT else None
    invoice.sepa_mandate_reference = mandate.reference if mandate else ""
    invoice.sepa_iban_masked = mandate.iban_masked if mandate else ""
    invoice.currency = invoice.currency or account.currency
    return [
        "billing_name",
        "billing_address",
        "account_number",
        "po_number",
        "buyer_vat_id",
        "buyer_street",
        "buyer_postal_code",
        "buyer_city",
        "buyer_country",
        "contact_user_id",
        "payment_method",
        "payment_card_brand",
        "payment_last4",
        "sepa_mandate_reference",
        "sepa_iban_masked",
        "currency",
    ]


def _apply_account_treatment(invoice: Invoice) -> None:
    """A draft left without a treatment takes the account's: its rate too, unless staff entered one."""
    treatment = invoice.account.tax_treatment
    if invoice.tax_rate:
        taxed = treatment.category in (TaxCategory.VAT, TaxCategory.SALES_TAX)
        invoice.tax_category = treatment.category if taxed else TaxCategory.VAT
    else:
        invoice.tax_category, invoice.tax_rate = treatment.category, treatment.rate


def invoice_draft_save(*, invoice: Invoice, actor: User, fields: Iterable[str]) -> Invoice:
    """Staff's new draft invoice, or their edit of `fields` of one, saved and audited.

    An edit is saved under the invoice's row lock and only while it is still a draft: an invoice
    issued since the edit form was read keeps its number, dates and totals.
    """
    with transaction.atomic():
        invoice.currency = invoice.currency or invoice.account.currency
        stored = None
        if invoice.pk is not None:
            stored = _lock(invoice)
            if stored.state != InvoiceState.DRAFT:
                raise InvoiceError(
                    _("%(invoice)s was issued while you edited it; your changes were not saved.") % {"invoice": stored}
                )
        audited_save(
            edited=invoice,
            stored=stored,
            fields=[*fields, "currency"] if stored else ["state", "currency"],
            account=invoice.account,
            actor=actor,
            action=AuditAction.INVOICE_DRAFT_UPDATE if stored else AuditAction.INVOICE_DRAFT_CREATE,
        )
    return invoice


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


def _recipients(account: CompanyAccount) -> list[tuple[bool, list[str]]]:
    """The invoice's addresses, each once, as (wants the XML too, addresses): one group per e-mail.

    An address listed twice gets the XML if either entry asks for it; the PDF-only group comes first.
    """
    seen: dict[str, tuple[str, bool]] = {}
    entries = [
        (account.billing_contact.email, account.contact_wants_xml),
        *account.invoice_recipients.values_list("email", "wants_xml"),
    ]
    for address, wants_xml in entries:
        if address:
            first, wanted = seen.get(address.lower(), (address, False))
            seen[address.lower()] = (first, wanted or wants_xml)
    groups = [
        (with_xml, [address for address, wants_xml in seen.values() if wants_xml == with_xml])
        for with_xml in (False, True)
    ]
    return [(with_xml, to) for with_xml, to in groups if to] or [(False, [])]


def _deliver(invoice: Invoice, actor: User | None) -> list[InvoiceDelivery]:
    """Queue the invoice e-mail, held until the task attaches the PDF after commit.

    Recipients who want the e-invoice get their own e-mail with the XML attached now (it is built
    from the issued invoice, which never changes); each e-mail is one delivery.
    """
    account = invoice.account
    deliveries = []
    for with_xml, to in _recipients(account):
        attachments = None
        if with_xml:
            xml = ContentFile(cii_xml(invoice), name=invoice.xml_filename)
            attachments = {invoice.xml_filename: {"file": xml, "mimetype": "application/xml"}}
        email = emails.queue(
            to=to,
            template="invoice-credit-note" if invoice.is_credit_note else "invoice-issued",
            context={"invoice": invoice, "account": account, "contact": account.billing_contact},
            language=account.language,
            attachments=attachments,
            hold=True,
        )
        delivery = InvoiceDelivery.objects.create(invoice=invoice, email=email, recipients=to, created_by=actor)
        documents.held_email_queue(INVOICE_EMAIL, delivery)
        deliveries.append(delivery)
    return deliveries


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
        if not locked.tax_category:
            _apply_account_treatment(locked)
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
                "tax_category",
                "tax_rate",
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
        tax_category=original.tax_category,
        buyer_vat_id=original.buyer_vat_id,
        buyer_street=original.buyer_street,
        buyer_postal_code=original.buyer_postal_code,
        buyer_city=original.buyer_city,
        buyer_country=original.buyer_country,
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


def invoice_resend(*, invoice: Invoice, actor: User | None) -> list[InvoiceDelivery]:
    """E-mail an issued invoice again, to today's billing contact and invoice recipients (one delivery per e-mail)."""
    with transaction.atomic():
        locked = _lock(invoice)
        if locked.state == InvoiceState.DRAFT:
            raise InvoiceError(_("A draft cannot be e-mailed; issue it first."))
        if locked.state == InvoiceState.VOID:
            raise InvoiceError(_("A void invoice is not sent again; its credit note was sent when it was voided."))
        audit_record(account=locked.account, actor=actor, action=AuditAction.INVOICE_RESEND, target=locked)
        return _deliver(locked, actor)


def invoice_draft_from_order(*, order: ServiceOrder, actor: User | None) -> Invoice:
    """A draft invoice for a placed service order: its quotes' lines and the tax treatment they were accepted under.

    One invoice per order (a void one may be replaced); quotes frozen under different treatments are
    refused, since one invoice carries one treatment.
    """
    with transaction.atomic():
        locked = ServiceOrder.objects.select_for_update(of=("self",)).select_related("account").get(pk=order.pk)
        if not locked.is_placed:
            raise InvoiceError(_("Service order %(number)s is not placed.") % {"number": locked.number})
        existing = Invoice.objects.filter(service_order=locked, kind=InvoiceKind.INVOICE).exclude(
            state=InvoiceState.VOID
        )
        if existing.exists():
            raise InvoiceError(
                _("Service order %(number)s already has invoice %(invoice)s.")
                % {"number": locked.number, "invoice": existing.first()}
            )
        quotes = list(locked.accepted_quotes.order_by("pk"))
        treatments = {quote.treatment for quote in quotes}
        if len(treatments) != 1:
            raise InvoiceError(
                _("The quotes of %(number)s were accepted under different tax treatments: invoice them one by one.")
                % {"number": locked.number}
            )
        (treatment,) = treatments
        lines = list(QuoteLine.objects.filter(quote__in=quotes).select_related("product").order_by("quote_id", "id"))
        start = timezone.localtime(locked.placed_at, locked.account.zone).date()
        months = max(line.term_months for line in lines)
        invoice = Invoice.objects.create(
            account=locked.account,
            service_order=locked,
            currency=locked.currency,
            service_period_start=start,
            service_period_end=start + relativedelta(months=months) - timedelta(days=1),
            tax_category=treatment.category,
            tax_rate=treatment.rate,
        )
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    invoice=invoice,
                    position=position,
                    description=_line_description(line, locked.account.language),
                    product=line.product.sku,
                    quantity=Decimal(1),
                    unit_price=line.line_total,
                )
                for position, line in enumerate(lines, start=1)
            ]
        )
        lines_of_invoice = list(invoice.lines.all())
        invoice.subtotal, invoice.tax, invoice.total = _totals(lines_of_invoice, invoice.tax_rate)
        InvoiceLine.objects.bulk_update(lines_of_invoice, ["line_total"])
        invoice.save(update_fields=["subtotal", "tax", "total"])
        audit_record(
            account=invoice.account,
            actor=actor,
            action=AuditAction.INVOICE_DRAFT_FROM_ORDER,
            target=invoice,
            changes={"service_order": (None, locked.number), "tax_category": (None, treatment.category)},
        )
    return invoice


def _line_description(line: QuoteLine, language: str) -> str:
    """The quote line in words, in the language the invoice is written in."""
    with translation.override(language):
        text = ngettext(
            "%(product)s, %(seats)d seat, %(months)d months",
            "%(product)s, %(seats)d seats, %(months)d months",
            line.seats,
        ) % {"product": line.product.name, "seats": line.seats, "months": line.term_months}
        if line.discount_percent:
            text += " " + gettext("(%(discount)s discount)") % {"discount": percent(line.discount_percent)}
    return text
