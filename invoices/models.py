from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CompanyAccount, PaymentMethod
from accounts.privacy import mask_emails
from accounts.tax import TaxCategory, TaxTreatment, tax_label


class InvoiceState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    """What a billing contact sees; derived from the state and today's date, never stored."""

    OPEN = "open", _("Open")
    OVERDUE = "overdue", _("Overdue")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
    CREDIT = "credit", _("Credit note")


# States a billing contact may see; drafts are staff-only.
VISIBLE_STATES = (InvoiceState.ISSUED, InvoiceState.PAID, InvoiceState.VOID)


def invoice_pdf_path(invoice: "Invoice", filename: str) -> str:
    return f"invoices/{invoice.issue_date:%Y}/{invoice.number}.pdf"


class InvoiceQuerySet(models.QuerySet):
    def visible_to(self, account):
        """The account's invoices as its billing contact may see them: drafts are staff-only and do not exist."""
        return self.filter(account=account, state__in=VISIBLE_STATES)


class Invoice(models.Model):
    """A bill to a company account. Once issued it never changes; a credit note corrects it."""

    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    state = models.CharField(_("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.DRAFT)
    number = models.CharField(_("invoice number"), max_length=32, unique=True, null=True, blank=True, editable=False)

    issue_date = models.DateField(_("invoice date"), null=True, blank=True, editable=False)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    service_period_start = models.DateField(_("service period start"))
    service_period_end = models.DateField(_("service period end"))
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("Defaults to the account's currency.")
    )

    # Snapshots taken at issue: the document shows what was true that day.
    billing_name = models.CharField(_("billing name"), max_length=200, blank=True, editable=False)
    billing_address = models.TextField(_("billing address"), blank=True, editable=False)
    account_number = models.CharField(_("account number"), max_length=32, blank=True, editable=False)
    po_number = models.CharField(_("PO number"), max_length=64, blank=True, editable=False)
    buyer_vat_id = models.CharField(_("customer's VAT ID"), max_length=20, blank=True, editable=False)
    # The billing address once more, in the parts an e-invoice names.
    buyer_street = models.CharField(_("street"), max_length=200, blank=True, editable=False)
    buyer_postal_code = models.CharField(_("postal code"), max_length=20, blank=True, editable=False)
    buyer_city = models.CharField(_("city"), max_length=100, blank=True, editable=False)
    buyer_country = models.CharField(_("country"), max_length=2, blank=True, editable=False)
    contact_user_id = models.CharField(_("billing contact's User ID"), max_length=150, blank=True, editable=False)
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod.choices, blank=True, editable=False
    )
    # How the account pays, as far as the document names it: the card or ACH account (last four), the
    # SEPA mandate and its masked IBAN. Never a full number.
    payment_card_brand = models.CharField(_("card brand"), max_length=20, blank=True, editable=False)
    payment_last4 = models.CharField(_("card or account last four digits"), max_length=4, blank=True, editable=False)
    sepa_mandate_reference = models.CharField(_("SEPA mandate reference"), max_length=35, blank=True, editable=False)
    sepa_iban_masked = models.CharField(_("debited IBAN (masked)"), max_length=12, blank=True, editable=False)

    subtotal = models.DecimalField(
        _("subtotal"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
    )
    tax_category = models.CharField(
        _("tax treatment"),
        max_length=2,
        choices=TaxCategory.choices,
        blank=True,
        help_text=_(
            "Leave empty for the account's treatment when the invoice is issued, with its rate unless one is entered."
        ),
    )
    tax = models.DecimalField(_("tax"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False)
    note = models.TextField(_("note on the invoice"), blank=True, max_length=1000)
    # The placed service order it bills, when staff drafted it from one: same lines, same tax treatment.
    service_order = models.ForeignKey(
        "quotes.ServiceOrder",
        verbose_name=_("service order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="invoices",
    )

    pdf = models.FileField(_("PDF"), upload_to=invoice_pdf_path, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True, editable=False)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-number"]
        indexes = [
            models.Index(
                F("account"), F("state"), F("issue_date").desc(), F("number").desc(), name="invoice_account_list"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("tax")), name="invoice_total_is_subtotal_plus_tax"
            ),
            models.CheckConstraint(
                condition=Q(state=InvoiceState.DRAFT)
                | Q(number__isnull=False, issue_date__isnull=False, due_date__isnull=False),
                name="invoice_issued_has_number_and_dates",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, corrects__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, corrects__isnull=False),
                name="invoice_credit_note_corrects_an_invoice",
            ),
            models.CheckConstraint(
                condition=Q(service_period_end__gte=F("service_period_start")), name="invoice_service_period_ordered"
            ),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="invoice_tax_rate_percent"),
        ]

    def __str__(self):
        return self.number or _("Draft invoice #%(pk)s") % {"pk": self.pk}

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def status(self) -> str:
        if self.is_credit_note:
            return InvoiceStatus.CREDIT
        if self.state == InvoiceState.ISSUED:
            return InvoiceStatus.OVERDUE if self.due_date < timezone.localdate() else InvoiceStatus.OPEN
        return InvoiceStatus(self.state)

    @property
    def status_label(self) -> str:
        return InvoiceStatus(self.status).label

    @property
    def amount_due(self) -> Decimal:
        """What the customer still owes on it: nothing on a paid or void invoice or on a credit note."""
        return self.total if self.status in (InvoiceStatus.OPEN, InvoiceStatus.OVERDUE) else Decimal("0.00")

    @property
    def days_overdue(self) -> int:
        return (timezone.localdate() - self.due_date).days if self.status == InvoiceStatus.OVERDUE else 0

    @property
    def treatment(self) -> TaxTreatment:
        return TaxTreatment(self.tax_category or TaxCategory.VAT, self.tax_rate)

    @property
    def tax_label(self) -> str:
        return tax_label(self.tax_category or TaxCategory.VAT, self.tax_rate)

    @property
    def payment_instructions(self) -> str:
        """How this invoice gets paid, in one sentence of the active language (the SEPA pre-notification for SEPA)."""
        due = formats.date_format(self.due_date, "DATE_FORMAT") if self.due_date else ""
        method = self.payment_method
        if method == PaymentMethod.SEPA_DEBIT and self.sepa_mandate_reference:
            return _(
                "The amount will be debited from IBAN %(iban)s under mandate %(reference)s on or after %(due)s "
                "(creditor identifier %(creditor_id)s)."
            ) % {
                "iban": self.sepa_iban_masked,
                "reference": self.sepa_mandate_reference,
                "due": due,
                "creditor_id": settings.SELLER_SEPA_CREDITOR_ID,
            }
        if method == PaymentMethod.DIRECT_DEBIT and self.payment_last4:
            return _("The amount will be debited from the account ending %(last4)s on or after %(due)s.") % {
                "last4": self.payment_last4,
                "due": due,
            }
        if method in (PaymentMethod.DIRECT_DEBIT, PaymentMethod.SEPA_DEBIT):
            return _("The amount will be collected by direct debit/ACH from the bank account on file for your account.")
        if method == PaymentMethod.CARD and self.payment_last4:
            return _("The amount will be charged to %(brand)s ending %(last4)s on or after %(due)s.") % {
                "brand": self.payment_card_brand or _("Card"),
                "last4": self.payment_last4,
                "due": due,
            }
        if method == PaymentMethod.CARD:
            return _("The amount will be charged to the credit or debit card on file for your account.")
        if method == PaymentMethod.CHECK:
            return _("Please send a check payable to %(payee)s to %(address)s by %(due)s.") % {
                "payee": settings.SELLER_NAME,
                "address": ", ".join(settings.SELLER_CHECK_ADDRESS or settings.SELLER_ADDRESS),
                "due": due,
            }
        return _(
            "Please pay by %(due)s by wire transfer to %(holder)s, IBAN %(iban)s, BIC %(bic)s, %(bank)s, "
            "and quote %(number)s as the reference."
        ) % {
            "due": due,
            "holder": settings.SELLER_BANK_ACCOUNT_HOLDER or settings.SELLER_NAME,
            "iban": settings.SELLER_IBAN,
            "bic": settings.SELLER_BIC,
            "bank": settings.SELLER_BANK_NAME,
            "number": self.number,
        }

    @property
    def billing_address_lines(self) -> list[str]:
        return [line for line in self.billing_address.splitlines() if line]

    @property
    def pdf_filename(self) -> str:
        return f"{self.number}.pdf"

    @property
    def xml_filename(self) -> str:
        return f"{self.number}.xml"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=500)
    product = models.CharField(_("product"), max_length=200, blank=True, help_text=_("Product name or SKU."))
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    line_total = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity_positive"),
        ]

    def __str__(self):
        return self.description


class InvoiceDelivery(models.Model):
    """One e-mail of an invoice (issue or resend): held until its PDF is attached by a task."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="deliveries")
    # SET_NULL: post-office's cleanup_mail may delete old e-mails; the delivery record stays.
    email = models.OneToOneField(
        "post_office.Email", verbose_name=_("e-mail"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.JSONField(_("recipients"), default=list)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invoice e-mail")
        verbose_name_plural = _("invoice e-mails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["released_at", "created_at"], name="invoice_delivery_pending")]

    def __str__(self):
        return f"{self.invoice} → {mask_emails(', '.join(self.recipients))}"


class InvoiceNumberSequence(models.Model):
    """The last number used per prefix (e.g. INV-2026); locked while a number is taken, so numbers have no gaps."""

    prefix = models.CharField(_("prefix"), max_length=20, primary_key=True)
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice number sequence")
        verbose_name_plural = _("invoice number sequences")

    def __str__(self):
        return f"{self.prefix}: {self.last_value}"
