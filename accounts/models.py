import functools
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField
from phonenumbers import timezone as phonenumber_time_zones

from billing_portal.validators import ascii_digits_only, reject_non_ascii_digits

from .identity import canonical_user_id, validate_user_id

USER_ID_TAKEN = _("A user with that User ID already exists.")


class PortalUserManager(UserManager):
    def get_by_natural_key(self, username):
        # The portal's sign-in and the admin's both come here: an exact match on the one canonical
        # form, never a database collation's idea of "case-insensitive".
        return self.get(username_key=canonical_user_id(username))


class User(AbstractUser):
    """A billing contact (signs in with a User ID) or a member of staff."""

    username = models.CharField(
        _("User ID"),
        max_length=150,
        unique=True,
        help_text=_("A user name (acme-billing) or an e-mail address (billing@acme.example)."),
        validators=[validate_user_id],
        error_messages={"unique": USER_ID_TAKEN},
    )
    # Filled from `username` on every save; sign-in, lock-out and password reset compare only this.
    username_key = models.CharField(_("canonical User ID"), max_length=450, unique=True, editable=False)
    email = models.EmailField(_("e-mail address"))
    phone = PhoneNumberField(_("phone"), blank=True, validators=[reject_non_ascii_digits])
    # Blank until the contact picks a language in the portal; until then the browser's is used.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default="")

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        # Two spellings with one canonical form (ß and SS, a fullwidth letter) are one User ID.
        key = canonical_user_id(self.username)
        if User.objects.filter(username_key=key).exclude(pk=self.pk).exists():
            raise ValidationError({"username": ValidationError(USER_ID_TAKEN, code="unique")})

    def save(self, *args, **kwargs):
        self.username_key = canonical_user_id(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Credit/debit card")
    WIRE = "wire", _("Wire transfer")
    CHECK = "check", _("Check")
    SEPA_DEBIT = "sepa_debit", _("SEPA direct debit")
    # The stored value keeps its earlier name: ACH is the US direct debit.
    DIRECT_DEBIT = "direct_debit", _("ACH direct debit")


def sepa_countries() -> frozenset[str]:
    """The countries of the SEPA zone, as schwifty's IBAN registry knows them (EU, EEA, CH, GB, MC, AD)."""
    from schwifty import registry

    return frozenset(code for code in registry.get_countries() if registry.get_iban_spec(code).in_sepa_zone)


def payment_methods_for(country: str) -> list[PaymentMethod]:
    """The payment methods offered to an account in this country, in the order the form shows them."""
    methods = [PaymentMethod.CARD, PaymentMethod.WIRE]
    if country in sepa_countries():
        methods.append(PaymentMethod.SEPA_DEBIT)
    if country == "US":
        methods += [PaymentMethod.DIRECT_DEBIT, PaymentMethod.CHECK]
    return methods


class BillingInterval(models.TextChoices):
    ANNUAL = "annual", _("Annual")


@functools.cache
def available_time_zones() -> frozenset[str]:
    """The installed IANA zones. Listing them reads every zone file, so once per process: they change only
    with the installed time zone data, which a deployment restarts the processes for."""
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_time_zones())]


@functools.cache
def country_time_zone(country: str) -> str:
    """The main time zone of a country: that of its example landline number (phonenumbers' data), else UTC.

    Asked on every signed-in page (the account's zone); it depends on installed data only, so it is kept.
    """
    try:
        example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    except Exception:
        example = None
    zones = phonenumber_time_zones.time_zones_for_geographical_number(example) if example else ()
    return next((zone for zone in zones if zone in available_time_zones()), "UTC")


# A purchase order is flagged on the Billing page, and its billing contact reminded once, this long before it expires.
PO_EXPIRY_WARNING = timedelta(days=30)


class CompanyAccountQuerySet(models.QuerySet):
    def for_contact(self, user):
        return self.filter(billing_contact=user, is_active=True)

    def po_reminder_candidates(self, now: datetime):
        """Active accounts with a PO that may expire within PO_EXPIRY_WARNING and whose date has had no reminder.

        Each account's own calendar day lies within a day of UTC's: `CompanyAccount.po_reminder_due` decides
        exactly, in the account's zone.
        """
        utc_today = now.astimezone(UTC).date()
        return (
            self.filter(is_active=True)
            .exclude(po_number="")
            .filter(
                po_expires_on__gte=utc_today - timedelta(days=1),
                po_expires_on__lte=utc_today + PO_EXPIRY_WARNING + timedelta(days=1),
            )
            .exclude(po_reminder_sent_for=F("po_expires_on"))
        )


class CompanyAccount(models.Model):
    number = models.CharField(_("account number"), max_length=32, unique=True)
    name = models.CharField(_("company name"), max_length=200)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="managed_accounts",
        limit_choices_to={"is_staff": True},
    )
    billing_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("billing contact"),
        on_delete=models.PROTECT,
        related_name="billing_accounts",
    )
    language = models.CharField(_("document language"), max_length=8, choices=settings.LANGUAGES, default="en")
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address (line 2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, validators=[reject_non_ascii_digits])
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state/region"), max_length=100, blank=True)
    country = CountryField(_("country"))
    phone = PhoneNumberField(
        _("phone"),
        blank=True,
        help_text=_("With the country code, e.g. +1 415 555 0100."),
        validators=[reject_non_ascii_digits],
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        choices=time_zone_choices,
        help_text=_("Times in the portal are shown in this zone. Blank: the country's main time zone."),
    )

    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.WIRE
    )
    card_holder = models.CharField(_("card holder"), max_length=200, blank=True)
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card last four digits"), max_length=4, blank=True, validators=[ascii_digits_only])
    card_exp_month = models.PositiveSmallIntegerField(_("card expiry month"), null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(_("card expiry year"), null=True, blank=True)
    bank_account_holder = models.CharField(_("bank account holder"), max_length=200, blank=True)
    bank_routing_number = models.CharField(
        _("routing number"), max_length=34, blank=True, validators=[ascii_digits_only]
    )
    bank_account_last4 = models.CharField(
        _("bank account last four digits"), max_length=4, blank=True, validators=[ascii_digits_only]
    )
    # The SEPA mandate in force; earlier ones stay in `sepa_mandates`, revoked.
    sepa_mandate = models.OneToOneField(
        "SepaMandate",
        verbose_name=_("SEPA mandate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    vat_id = models.CharField(
        _("VAT ID"),
        max_length=20,
        blank=True,
        help_text=_("EU accounts: the company's VAT identification number, e.g. DE123456788."),
    )
    sales_tax_rate = models.DecimalField(
        _("sales tax rate (%)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("US accounts: the sales tax rate to charge. Empty: no sales tax."),
    )

    # The billing contact's own choice, as an invoice recipient's `wants_xml`.
    contact_wants_xml = models.BooleanField(_("billing contact also gets the XML (e-invoice)"), default=False)

    po_number = models.CharField(_("PO number"), max_length=64, blank=True)
    po_expires_on = models.DateField(_("PO expiry date"), null=True, blank=True)
    # The expiry date the billing contact was last reminded of: a new date gets its own reminder.
    po_reminder_sent_for = models.DateField(_("PO reminder sent for"), null=True, blank=True, editable=False)
    billing_interval = models.CharField(
        _("billing interval"), max_length=20, choices=BillingInterval.choices, default=BillingInterval.ANNUAL
    )
    auto_renew = models.BooleanField(_("auto-renewal"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CompanyAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("company account")
        verbose_name_plural = _("company accounts")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(card_last4="") | models.Q(card_last4__regex=r"^[0-9]{4}$"),
                name="account_card_last4_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(bank_account_last4="") | models.Q(bank_account_last4__regex=r"^[0-9]{4}$"),
                name="account_bank_last4_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(sales_tax_rate__isnull=True)
                | models.Q(sales_tax_rate__gte=0, sales_tax_rate__lte=100),
                name="account_sales_tax_rate_percent",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.number})"

    def clean(self):
        super().clean()
        from .tax import normalize_vat_id

        if self.vat_id and self.country:
            try:
                self.vat_id = normalize_vat_id(self.vat_id, str(self.country))
            except ValidationError as error:
                raise ValidationError({"vat_id": error}) from None
        if self.sales_tax_rate is not None and self.country and self.country != "US":
            raise ValidationError({"sales_tax_rate": _("Sales tax applies to accounts in the US only.")})

    @property
    def tax_treatment(self):
        from .tax import tax_treatment

        return tax_treatment(self)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or country_time_zone(str(self.country)))

    def today(self, now: datetime | None = None) -> date:
        """The date in the account's own zone."""
        return timezone.localdate(now or timezone.now(), timezone=self.zone)

    def po_days_left(self, now: datetime | None = None) -> int | None:
        """Days until the PO expires (0 on its last day, negative once expired); None without an expiry date."""
        if self.po_expires_on is None:
            return None
        return (self.po_expires_on - self.today(now)).days

    def po_reminder_due(self, now: datetime) -> bool:
        """The PO expires within PO_EXPIRY_WARNING in the account's zone, and this date has had no reminder."""
        days = self.po_days_left(now)
        return (
            bool(self.po_number)
            and days is not None
            and 0 <= days <= PO_EXPIRY_WARNING.days
            and self.po_reminder_sent_for != self.po_expires_on
        )

    @property
    def is_eu(self) -> bool:
        from .tax import EU_COUNTRIES

        return self.country in EU_COUNTRIES

    @property
    def is_us(self) -> bool:
        return self.country == "US"

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(part for part in (self.postal_code, self.city, self.region) if part)
        return [line for line in (self.address_line1, self.address_line2, city_line, self.country.code) if line]

    @property
    def payment_methods(self) -> list[PaymentMethod]:
        return payment_methods_for(str(self.country))

    @property
    def payment_method_offered(self) -> bool:
        return self.payment_method in self.payment_methods

    @property
    def payment_method_display(self) -> str:
        """The payment method as shown to people: masked, never a full number."""
        if self.payment_method == PaymentMethod.CARD and self.card_last4:
            return _("%(brand)s ending in %(last4)s, expires %(month)02d/%(year)s") % {
                "brand": self.card_brand or _("Card"),
                "last4": self.card_last4,
                "month": self.card_exp_month or 0,
                "year": self.card_exp_year or "",
            }
        if self.payment_method == PaymentMethod.DIRECT_DEBIT and self.bank_account_last4:
            return _("ACH direct debit from the account ending in %(last4)s") % {"last4": self.bank_account_last4}
        if self.payment_method == PaymentMethod.SEPA_DEBIT and self.sepa_mandate:
            return _("SEPA direct debit from IBAN %(iban)s under mandate %(reference)s") % {
                "iban": self.sepa_mandate.iban_masked,
                "reference": self.sepa_mandate.reference,
            }
        return str(self.get_payment_method_display())


def mask_iban(iban: str) -> str:
    """Country, check digits and the last four characters: "DE89…3000". Never the account number itself."""
    compact = iban.replace(" ", "").upper()
    return f"{compact[:4]}…{compact[-4:]}"


class SepaMandate(models.Model):
    """The authority a billing contact gave to collect by SEPA Core direct debit; the IBAN is kept masked only."""

    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.CASCADE, related_name="sepa_mandates"
    )
    reference = models.CharField(_("mandate reference"), max_length=35, unique=True)
    holder = models.CharField(_("account holder"), max_length=200)
    iban_masked = models.CharField(_("IBAN (masked)"), max_length=12)
    bic = models.CharField(_("BIC"), max_length=11)
    signed_at = models.DateTimeField(_("signed"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(revoked_at__isnull=True), name="sepa_mandate_one_in_force"
            ),
            models.CheckConstraint(
                condition=models.Q(iban_masked__regex=r"^[A-Z]{2}[0-9]{2}…[A-Z0-9]{4}$"),
                name="sepa_mandate_iban_masked",
            ),
        ]

    def __str__(self):
        return self.reference


class InvoiceRecipient(models.Model):
    MAX_PER_ACCOUNT = 10

    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.CASCADE, related_name="invoice_recipients"
    )
    email = models.EmailField(_("e-mail address"))
    # The invoice e-mail carries the PDF; these recipients get its EN 16931 XML attached too.
    wants_xml = models.BooleanField(_("also gets the XML (e-invoice)"), default=False)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("invoice recipient")
        verbose_name_plural = _("invoice recipients")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint("account", Lower("email"), name="recipient_email_unique_per_account"),
        ]

    def __str__(self):
        return self.email


class AccountRequest(models.Model):
    class Kind(models.TextChoices):
        BILLING_INTERVAL = "billing_interval", _("Billing interval")
        AUTO_RENEWAL = "auto_renewal", _("Auto-renewal")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    account = models.ForeignKey(
        CompanyAccount, verbose_name=_("company account"), on_delete=models.CASCADE, related_name="requests"
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("billing contact"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("subject"), max_length=20, choices=Kind.choices)
    message = models.TextField(_("message"), max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.account}"


class AuditEntry(models.Model):
    """Who changed what, when, from which value to which: for every state change in the portal."""

    # Empty for a change that belongs to no company account: a staff user, or an e-mail sent again.
    account = models.ForeignKey(
        CompanyAccount,
        verbose_name=_("company account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_entries",
    )
    # No plain index on `actor`: system changes (actor NULL, e.g. 100,000 expiries at once) would
    # pay for it on every insert; the partial index below covers the people.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=64)
    # Indexed as the first column of (content_type, object_id) below. No database constraint: the
    # content types are Django's own rows, deleted only through the ORM (which cascades here), and a
    # constraint check per row doubles the commit of a bulk change such as 100,000 expiries.
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of object"), on_delete=models.CASCADE, db_index=False, db_constraint=False
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    target = GenericForeignKey("content_type", "object_id")
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["actor"], condition=models.Q(actor__isnull=False), name="auditentry_actor_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.content_type.model} #{self.object_id}"


class RateLimitCounter(models.Model):
    """How often one client address or one User ID did one thing in one time window (`accounts.ratelimits`).

    In PostgreSQL, not a per-process cache, so the limit holds across every web worker and machine;
    the key is a hash, so no User ID or address is kept in clear.
    """

    key = models.CharField(max_length=64)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="ratelimit_key_window_unique")]

    def __str__(self):
        return f"{self.count} in window {self.window}"
