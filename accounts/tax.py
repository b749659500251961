"""How a sale to a company account is taxed: decided from the account's country and VAT status.

A quote takes its treatment when staff submit it and keeps it (the rate and category are copied
onto the quote); the cart, the order, its receipt and the invoice show what the quote froze.
Categories are EN 16931's (UNCL 5305) so that the e-invoice names the same treatment.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat
from stdnum.util import clean

from billing_portal.money import money

# EU member states (VAT area); Greece's VAT IDs start with EL.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
VAT_PREFIX = {"GR": "EL"}


class TaxCategory(models.TextChoices):
    VAT = "S", _("VAT")
    REVERSE_CHARGE = "AE", _("Reverse charge")
    SALES_TAX = "ST", _("Sales tax")
    NONE = "O", _("No tax")


@dataclass(frozen=True)
class TaxTreatment:
    category: str
    rate: Decimal

    @property
    def label(self) -> str:
        return tax_label(self.category, self.rate)

    def tax_on(self, net: Decimal) -> Decimal:
        return money(net * self.rate / Decimal(100))


def tax_label(category: str, rate: Decimal) -> str:
    """ "USt. 19 %", "Reverse charge: tax to be paid by the recipient": the words a document prints."""
    shown = number_format(rate.normalize() if rate == rate.to_integral() else rate, use_l10n=True)
    if category == TaxCategory.VAT:
        return pgettext("tax line", "VAT %(rate)s %%") % {"rate": shown}
    if category == TaxCategory.SALES_TAX:
        return pgettext("tax line", "Sales tax %(rate)s %%") % {"rate": shown}
    if category == TaxCategory.REVERSE_CHARGE:
        return gettext("Reverse charge: tax to be paid by the recipient")
    return gettext("Not subject to VAT: place of supply outside the EU")


def normalize_vat_id(value: str, country: str) -> str:
    """The VAT ID in its compact form (DE123456788), checked for the account's country.

    Format and check digits only, with python-stdnum; there is no network look-up.
    """
    compact = clean(value or "", " -./,").upper().strip()
    if not compact:
        return ""
    prefix = VAT_PREFIX.get(country, country)
    if country not in EU_COUNTRIES:
        raise ValidationError(_("A VAT ID can be given for accounts in the EU only."), code="not_eu")
    if compact[:2].isdigit():
        compact = prefix + compact
    if compact[:2] != prefix:
        raise ValidationError(
            _("This VAT ID is not from %(country)s; it must start with %(prefix)s."),
            code="wrong_country",
            params={"country": country, "prefix": prefix},
        )
    try:
        return vat.validate(compact)
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _("This is not a valid VAT ID: check its digits (for example DE123456788)."), code="invalid"
        ) from None


def tax_treatment(account) -> TaxTreatment:
    """The treatment of a sale to this account today (the seller is in settings.SELLER_COUNTRY)."""
    country = str(account.country)
    seller_rate = Decimal(settings.SELLER_VAT_RATE)
    if country == settings.SELLER_COUNTRY:
        return TaxTreatment(TaxCategory.VAT, seller_rate)
    if country in EU_COUNTRIES:
        if account.vat_id:
            return TaxTreatment(TaxCategory.REVERSE_CHARGE, Decimal("0.00"))
        return TaxTreatment(TaxCategory.VAT, seller_rate)
    if country == "US" and account.sales_tax_rate:
        return TaxTreatment(TaxCategory.SALES_TAX, account.sales_tax_rate)
    return TaxTreatment(TaxCategory.NONE, Decimal("0.00"))
