from django.contrib.auth.backends import ModelBackend


class UserIDBackend(ModelBackend):
    """Signs in by User ID (a user name or an e-mail address), matched case-insensitively.

    The manager's `get_by_natural_key` does the case-insensitive match; ModelBackend runs the
    password hasher for an unknown User ID too, so both cases take the same time.
    """


def axes_username(request, credentials) -> str:
    """Lock-out counts per User ID whatever its letter case."""
    return (credentials or {}).get("username", "").strip().lower()
