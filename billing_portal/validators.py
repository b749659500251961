"""Validators for numbers people type: card, security code, bank, phone, postal code.

Python's `str.isdigit()` and `int()` accept fullwidth (４), Arabic-Indic (٤) and superscript (⁴)
digits, and libraries built on them (phonenumbers, python-stdnum) quietly take them too. Every
numeric field in the portal therefore goes through one gate that accepts the ASCII digits 0-9
only, so no other digit ever reaches a checksum, `int()` or a database constraint.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

NOT_ASCII_DIGITS = _("Use the digits 0 to 9 only.")

# What people put between groups of digits when they copy a number: spaces (any kind) and dashes.
_SEPARATORS = re.compile(r"[\s-]+")
_ASCII_DIGITS = re.compile(r"[0-9]*")

# For model fields that hold digits only (routing number, last four digits): every form of the
# model, the admin's included, refuses anything else.
ascii_digits_only = RegexValidator(r"\A[0-9]*\Z", message=NOT_ASCII_DIGITS, code="digits")


def has_non_ascii_digit(value: str) -> bool:
    return any(char.isdigit() and not ("0" <= char <= "9") for char in value)


def reject_non_ascii_digits(value) -> None:
    """For text that may hold digits among other characters (a phone number, a postal code)."""
    # A parsed phone number reads ４ as 4: what was typed is what counts.
    if has_non_ascii_digit(str(getattr(value, "raw_input", value))):
        raise ValidationError(NOT_ASCII_DIGITS, code="digits")


def ascii_digits(value: str) -> str | None:
    """`value` without spaces and dashes if what is left is ASCII digits (or nothing), else None."""
    compact = _SEPARATORS.sub("", value)
    return compact if _ASCII_DIGITS.fullmatch(compact) else None
