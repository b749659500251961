"""How the portal shows amounts: the same in quotes, invoices, e-mails and PDFs, localized for the active language."""

from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.utils import formats, translation

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """An amount as the active language writes it, with the currency's symbol where it has one.

    "1.234,56 €" in German, "$1,234.56" and "€1,234.56" in English (Babel's CLDR data); without a
    currency, the grouped number with two decimals.
    """
    if value is None:
        return ""
    if not currency:
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return format_currency(value, currency, locale=_locale(translation.get_language() or settings.LANGUAGE_CODE))


@cache
def _locale(language: str) -> Locale:
    """Babel's locale for a Django language code, parsed once per process (a parse costs as much as the format)."""
    return Locale.parse(translation.to_locale(language))


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    shown = value.quantize(Decimal(1)) if value == value.to_integral_value() else value
    return f"{formats.number_format(shown, use_l10n=True)} %"
