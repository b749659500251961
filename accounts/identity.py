"""What makes two User IDs the same User ID.

Sign-in, the lock-out after failed sign-ins, the password reset and the uniqueness of User IDs
all compare this one canonical form: if they compared different forms, a spelling that one of
them folds and another does not (a dotless ı, a fullwidth Ａ, an ß) would count as a new name for
the lock-out while signing in as the old one.
"""

import unicodedata

from confusable_homoglyphs import confusables
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def canonical_user_id(value: str) -> str:
    """The User ID as compared everywhere: trimmed, NFKC-normalised and case-folded."""
    # Case folding can undo NFKC (e.g. it may produce a sequence NFKC would compose), so normalise again.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", (value or "").strip()).casefold())


def validate_user_id(value: str) -> None:
    """Refuse a new User ID that could pass for another one.

    Letters of different scripts mixed in one User ID (a Cyrillic а in a Latin name) and
    compatibility forms (fullwidth letters, ligatures, superscripts), whose canonical form is
    not what was typed, are refused. Checked with `confusable_homoglyphs` (Unicode's script
    data; digits and punctuation belong to no script).
    """
    if unicodedata.normalize("NFKC", value) != value:
        raise ValidationError(
            _("Type the User ID in plain letters and digits, without look-alike forms such as fullwidth letters."),
            code="user_id_compatibility",
        )
    if confusables.is_mixed_script(value):
        raise ValidationError(
            _("A User ID cannot mix letters of different alphabets (such as Latin and Cyrillic)."),
            code="user_id_mixed_script",
        )
