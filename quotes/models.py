import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import CompanyAccount, PaymentMethod
from accounts.privacy import mask_email
from accounts.tax import TaxCategory, TaxTreatment
from billing_portal.money import money
from billing_portal.validators import reject_non_ascii_digits

# A submitted quote stays open for exactly 7 × 24 hours.
QUOTE_VALIDITY = timedelta(days=7)
EXPIRY_WARNING = timedelta(hours=48)
REMINDER_BEFORE_EXPIRY = timedelta(hours=48)


def _number(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5).upper()}"


def new_quote_number() -> str:
    return _number("Q")


def new_order_number() -> str:
    return _number("SO")


def quote_pdf_path(quote: "Quote", filename: str) -> str:
    return f"quotes/{quote.submitted_at:%Y}/{quote.pdf_filename}"


def receipt_pdf_path(order: "ServiceOrder", filename: str) -> str:
    return f"receipts/{order.placed_at:%Y}/{order.receipt_filename}"


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.sku})"


class QuoteState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def open_condition(now) -> Q:
    """Submitted and not yet past `expires_at`, whether or not the expiry task has run."""
    return Q(state=QuoteState.SUBMITTED, expires_at__gt=now)


def due_condition(now) -> Q:
    """Submitted and past `expires_at`: the expiry task's next work; to the customer already expired."""
    return Q(state=QuoteState.SUBMITTED, expires_at__lte=now)


def reminder_condition(now) -> Q:
    """Open, expiring within REMINDER_BEFORE_EXPIRY, and not yet reminded about."""
    return open_condition(now) & Q(reminder_sent_at__isnull=True, expires_at__lte=now + REMINDER_BEFORE_EXPIRY)


def lines_total(lines: Iterable["QuoteLine"]) -> Decimal:
    """What `QuoteQuerySet.with_totals` adds up in SQL, for lines already read."""
    return money(sum((line.line_total for line in lines), Decimal("0")))


class QuoteQuerySet(models.QuerySet):
    def visible_to(self, account):
        """The account's quotes as its billing contact may see them: drafts are staff-only and do not exist."""
        return self.filter(account=account).exclude(state=QuoteState.DRAFT)

    def open(self, now=None):
        return self.filter(open_condition(now or timezone.now()))

    def due(self, now=None):
        return self.filter(due_condition(now or timezone.now()))

    def due_for_reminder(self, now=None):
        return self.filter(reminder_condition(now or timezone.now()))

    def with_totals(self):
        """Each quote's `total` (the sum of its line totals, 0 without lines) and `line_count`."""
        return self.annotate(
            total=Coalesce(
                Sum("lines__line_total"),
                Value(Decimal("0")),
                output_field=models.DecimalField(max_digits=14, decimal_places=2),
            ),
            line_count=Count("lines"),
        )


class Quote(models.Model):
    number = models.CharField(_("quote number"), max_length=32, unique=True, default=new_quote_number)
    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.PROTECT, related_name="quotes"
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"is_staff": True},
        help_text=_("Leave empty for the account's manager."),
    )
    state = models.CharField(_("state"), max_length=16, choices=QuoteState.choices, default=QuoteState.DRAFT)
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("Leave empty for the account's currency.")
    )
    # Frozen when staff submit the quote (accounts.tax): what the customer accepts is what is invoiced.
    tax_category = models.CharField(_("tax treatment"), max_length=2, choices=TaxCategory.choices, blank=True)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=6, decimal_places=3, default=Decimal("0"))
    notes = models.TextField(_("notes for the customer"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decline_comment = models.TextField(_("comments"), max_length=2000, blank=True)
    service_order = models.ForeignKey(
        "ServiceOrder",
        verbose_name=_("service order"),
        on_delete=models.PROTECT,
        related_name="accepted_quotes",
        null=True,
        blank=True,
    )
    # The quote as submitted, rendered once by a task (quotes.documents.QUOTE_PDF); it shows no state.
    pdf = models.FileField(_("quote (PDF)"), upload_to=quote_pdf_path, blank=True, editable=False)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["account", "state", "expires_at"], name="quote_account_state_idx"),
            models.Index(fields=["state", "expires_at"], name="quote_state_expires_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(state=QuoteState.DRAFT) & Q(submitted_at__isnull=True) & Q(expires_at__isnull=True))
                | (~Q(state=QuoteState.DRAFT) & Q(expires_at=F("submitted_at") + QUOTE_VALIDITY)),
                name="quote_expires_seven_days_after_submission",
            ),
            models.CheckConstraint(
                condition=(Q(state=QuoteState.ACCEPTED) & Q(service_order__isnull=False))
                | (~Q(state=QuoteState.ACCEPTED) & Q(service_order__isnull=True)),
                name="quote_accepted_iff_in_a_service_order",
            ),
            models.CheckConstraint(
                condition=~Q(state=QuoteState.DECLINED) | ~Q(decline_comment=""), name="quote_declined_with_comment"
            ),
            models.CheckConstraint(
                condition=Q(state=QuoteState.DRAFT) | Q(account_manager__isnull=False),
                name="quote_submitted_has_manager",
            ),
        ]

    def __str__(self):
        return self.number

    # The same rules as `open_condition` and `due_condition`, for a quote already read.
    def is_open_at(self, now) -> bool:
        return self.state == QuoteState.SUBMITTED and self.expires_at is not None and now < self.expires_at

    def is_due_at(self, now) -> bool:
        return self.state == QuoteState.SUBMITTED and self.expires_at is not None and now >= self.expires_at

    @property
    def is_open(self) -> bool:
        return self.is_open_at(timezone.now())

    @property
    def expires_soon(self) -> bool:
        """Open, with less than EXPIRY_WARNING left: the portal marks it so that it is not missed."""
        now = timezone.now()
        return self.is_open_at(now) and self.expires_at - now < EXPIRY_WARNING

    @property
    def display_state(self) -> str:
        """The state as the customer sees it: an overdue quote is expired even before the expiry task ran."""
        if self.is_due_at(timezone.now()):
            return QuoteState.EXPIRED
        return self.state

    @property
    def display_state_label(self) -> str:
        if self.display_state == QuoteState.SUBMITTED:
            return _("Open")
        return QuoteState(self.display_state).label

    @property
    def has_pdf(self) -> bool:
        """Open, accepted or declined: what the customer may still act on or keep as a record.

        An expired or withdrawn quote offers nothing any more (its terms line would be untrue); a draft
        does not exist to the customer.
        """
        return self.display_state in (QuoteState.SUBMITTED, QuoteState.ACCEPTED, QuoteState.DECLINED)

    @property
    def pdf_filename(self) -> str:
        return f"{self.number}.pdf"

    @property
    def treatment(self) -> TaxTreatment:
        """The tax treatment frozen at submission; a draft shows the account's of today."""
        if self.tax_category:
            return TaxTreatment(self.tax_category, self.tax_rate)
        return self.account.tax_treatment

    @property
    def tax_amount(self) -> Decimal:
        """The tax on the quote's net `total` (an annotation of `with_totals` or the selector)."""
        return self.treatment.tax_on(self.total)

    @property
    def gross(self) -> Decimal:
        return self.total + self.tax_amount

    @property
    def totals(self):
        from .totals import quote_totals

        return quote_totals([self])[0]

    @property
    def decided_or_expired_at(self):
        if self.display_state == QuoteState.EXPIRED:
            return self.expires_at
        return self.decided_at


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=300, blank=True)
    seats = models.PositiveIntegerField(_("seats"), default=1, validators=[MinValueValidator(1)])
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=12, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Per seat for the whole term."),
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    line_total = models.DecimalField(_("line total"), max_digits=14, decimal_places=2, editable=False)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quoteline_unit_price_not_negative"),
            models.CheckConstraint(condition=Q(line_total__gte=0), name="quoteline_total_not_negative"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="quoteline_at_least_one_seat"),
            models.CheckConstraint(condition=Q(term_months__gte=1), name="quoteline_term_at_least_one_month"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100), name="quoteline_discount_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.product.name} × {self.seats}"

    def save(self, *args, **kwargs):
        # The total is always the server's arithmetic, never a value from a form.
        self.line_total = self.compute_total(
            seats=self.seats, unit_price=self.unit_price, discount_percent=self.discount_percent
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "line_total"}
        super().save(*args, **kwargs)

    @staticmethod
    def compute_total(*, seats: int, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
        gross = Decimal(seats) * unit_price
        return money(gross - gross * discount_percent / Decimal(100))

    @property
    def gross_total(self) -> Decimal:
        return money(Decimal(self.seats) * self.unit_price)


class Cart(models.Model):
    """Open quotes a billing contact reviews and accepts together; saved, so it outlives the session."""

    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("billing contact"), on_delete=models.CASCADE, related_name="+"
    )
    quotes = models.ManyToManyField(Quote, verbose_name=_("quotes"), related_name="carts", blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [models.UniqueConstraint("account", "contact", name="cart_one_per_contact_and_account")]

    def __str__(self):
        return f"{self.account} / {self.contact}"


class TermsVersionQuerySet(models.QuerySet):
    def published(self, now=None):
        return self.filter(published_at__isnull=False, published_at__lte=now or timezone.now())

    def current(self, language: str, now=None) -> "TermsVersion | None":
        """The latest published terms in `language`, else the latest in English: one query."""
        preferred = ExpressionWrapper(Q(language=language), output_field=BooleanField())
        return (
            self.published(now)
            .filter(language__in={language, settings.LANGUAGE_CODE})
            .annotate(preferred=preferred)
            .order_by("-preferred", "-published_at", "-pk")
            .first()
        )


class TermsVersion(models.Model):
    """The conditions a service order is placed under. Published terms never change: new terms are a new version."""

    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    version = models.CharField(_("version"), max_length=32, help_text=_('For example "2026-12".'))
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), help_text=_("Plain text; an empty line starts a new paragraph."))
    published_at = models.DateTimeField(
        _("published"),
        null=True,
        blank=True,
        help_text=_("From this time on, orders are placed under these terms. Once set, the terms cannot be changed."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TermsVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["language", "-published_at", "-id"]
        constraints = [models.UniqueConstraint("language", "version", name="terms_version_unique_per_language")]

    def __str__(self):
        return f"{self.version} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ServiceOrderQuerySet(models.QuerySet):
    def visible_to(self, account):
        """The account's service orders, drafts included: the contact reviews a draft before placing it."""
        return self.filter(account=account)


class ServiceOrder(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PLACED = "placed", _("Placed")

    number = models.CharField(_("service order number"), max_length=32, unique=True, default=new_order_number)
    # Sent with the "Place Service Order" form: the same token placed twice is the same order.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.PROTECT, related_name="service_orders"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    quotes = models.ManyToManyField(Quote, verbose_name=_("quotes"), related_name="service_orders")
    # Where the contact started it: the checkout pages lead back to the cart, or to the one quote.
    from_cart = models.BooleanField(_("started from the cart"), default=False, editable=False)
    admin_name = models.CharField(_("admin name"), max_length=200)
    admin_email = models.EmailField(_("admin e-mail"))
    admin_phone = PhoneNumberField(_("admin phone"), blank=True, validators=[reject_non_ascii_digits])
    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    payment_display = models.CharField(_("payment method (masked)"), max_length=200)
    billing_address = models.TextField(_("billing address"))
    po_number = models.CharField(_("PO number"), max_length=64, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("net"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    tax = models.DecimalField(_("tax"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    placed_at = models.DateTimeField(_("placed"), null=True, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=32, unique=True, null=True, blank=True)
    # The receipt e-mail is held until the task attaches the PDF, rendered once and stored here
    # (quotes.documents.RECEIPT_EMAIL); `receipt_released_at` says it has been let go.
    receipt_email = models.OneToOneField(
        "post_office.Email", on_delete=models.SET_NULL, related_name="+", null=True, blank=True, editable=False
    )
    receipt_released_at = models.DateTimeField(_("receipt e-mail released"), null=True, blank=True, editable=False)
    receipt_pdf = models.FileField(_("receipt (PDF)"), upload_to=receipt_pdf_path, blank=True, editable=False)
    # What the contact accepted in placing it: recorded by `service_order_place`, never changed afterwards.
    terms = models.ForeignKey(
        TermsVersion,
        verbose_name=_("terms version"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    terms_accepted_by_name = models.CharField(_("terms accepted by"), max_length=300, blank=True, editable=False)
    terms_accepted_at = models.DateTimeField(_("terms accepted"), null=True, blank=True, editable=False)

    objects = ServiceOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="serviceorder_total_not_negative"),
            models.CheckConstraint(
                condition=(
                    Q(state="placed")
                    & Q(placed_at__isnull=False)
                    & Q(placed_by__isnull=False)
                    & Q(receipt_number__isnull=False)
                )
                | (Q(state="draft") & Q(placed_at__isnull=True) & Q(receipt_number__isnull=True)),
                name="serviceorder_placed_iff_receipt",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_placed(self) -> bool:
        return self.state == self.State.PLACED

    @property
    def totals(self):
        """Net, tax per treatment and gross of the order's quotes (`quote_items`, set by the selector)."""
        from .totals import Totals, quote_totals

        return next(iter(quote_totals(self.quote_items)), Totals(self.currency))

    @property
    def receipt_filename(self) -> str:
        return f"{self.receipt_number}.pdf"

    @property
    def billing_address_lines(self) -> list[str]:
        return self.billing_address.splitlines()


class AdminContact(models.Model):
    """Someone who administers an account's products (the "product admin" the portal shows), named per order."""

    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.CASCADE, related_name="admin_contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    phone = PhoneNumberField(_("phone"), blank=True, validators=[reject_non_ascii_digits])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product admin")
        verbose_name_plural = _("product admins")
        ordering = ["name"]
        constraints = [models.UniqueConstraint("account", Lower("email"), name="productadmin_email_unique_per_account")]

    def __str__(self):
        # Masked: the admin names objects by this, and the address may be the one the billing contact signs in with.
        return f"{self.name} <{mask_email(self.email)}>"


class SeatAssignment(models.Model):
    admin = models.ForeignKey(
        AdminContact, verbose_name=_("product admin"), on_delete=models.CASCADE, related_name="seats"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.PROTECT, related_name="seat_assignments")
    service_order = models.ForeignKey(
        ServiceOrder, verbose_name=_("service order"), on_delete=models.PROTECT, related_name="seat_assignments"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("seat assignment")
        verbose_name_plural = _("seat assignments")
        ordering = ["id"]
        constraints = [models.UniqueConstraint("quote", "product", name="seat_one_per_product_of_a_quote")]

    def __str__(self):
        return f"{self.product} → {self.admin}"
