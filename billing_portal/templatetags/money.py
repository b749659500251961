"""How the portal shows amounts: the same in quotes, invoices, e-mails and PDFs, localized for the active language."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """An amount with two decimals, grouped and localized for the active language, then the currency code."""
    if value is None:
        return ""
    number = formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{number} {currency}".strip()


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    shown = value.quantize(Decimal(1)) if value == value.to_integral_value() else value
    return f"{formats.number_format(shown, use_l10n=True)} %"
