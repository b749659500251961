"""Signed links for a billing contact's change of e-mail address."""

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import AuditEntry


class EmailChangeTokenGenerator:
    """A link that carries the new address and dies after an hour, or once the address or password changes.

    The payload holds a digest of the user's current address, password hash and last recorded
    change of address: confirming the link changes the address, which uses the link up, and so
    does any other change in between, even one that later returns to the same address. The
    payload is signed, not encrypted, so it holds nothing its reader may not see.
    """

    key_salt = "accounts.tokens.EmailChangeTokenGenerator"
    max_age = 60 * 60

    def make_token(self, user, new_email: str) -> str:
        return signing.dumps({"user": user.pk, "email": new_email, "state": self._state(user)}, salt=self.key_salt)

    def check_token(self, user, token: str) -> str | None:
        """The new address `token` asks `user` to take, or None when it is forged, expired, used or another user's."""
        try:
            data = signing.loads(token, salt=self.key_salt, max_age=self.max_age)
        except signing.BadSignature:
            return None
        if not isinstance(data, dict) or data.get("user") != user.pk:
            return None
        if not constant_time_compare(str(data.get("state")), self._state(user)):
            return None
        return data.get("email")

    def _state(self, user) -> str:
        last_change = (
            AuditEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(user), object_id=user.pk, changes__has_key="email"
            )
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        value = f"{user.pk}|{user.email}|{user.password}|{last_change}"
        return salted_hmac(self.key_salt, value, algorithm="sha256").hexdigest()


email_change_token_generator = EmailChangeTokenGenerator()
