from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend

from .identity import canonical_user_id


class UserIDBackend(ModelBackend):
    """Signs in by User ID (a user name or an e-mail address), compared in its canonical form.

    The manager's `get_by_natural_key` looks the canonical form up; ModelBackend runs the
    password hasher for an unknown User ID too, so both cases take the same time.
    """


def axes_username(request, credentials) -> str:
    """Lock-out counts per canonical User ID: exactly the name that `get_by_natural_key` signs in."""
    return canonical_user_id((credentials or {}).get("username") or "")


class PortalAxesHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a sign-in forgives only the failures of its own User ID.

    Axes' own reset on success deletes every failure matching any lock-out parameter, the client
    address included: one sign-in with an attacker's own account would erase the failures he
    just made against someone else's. Here the signed-in User ID's failures stop counting for
    that User ID, and still count for the addresses they came from until the cool-off ends.
    """

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(username=canonical_user_id(user.get_username())).update(username=None)
