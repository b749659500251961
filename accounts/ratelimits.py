"""Limits on actions that cost someone else something (an e-mail in a mailbox, work for staff).

Counted in PostgreSQL with one atomic upsert per check, so concurrent requests on any number of
web workers cannot slip past a limit, and the portal needs nothing from Redis to enforce it.
"""

import hashlib
import time
from datetime import UTC, datetime

from axes.helpers import get_client_ip_address
from django.db import connection
from django.http import HttpRequest

from .models import RateLimitCounter


def client_address(request: HttpRequest) -> str:
    """The client's address exactly as the sign-in lock-out sees it (AXES_PROXY_COUNT applies)."""
    return str(get_client_ip_address(request))


def rate_limit_hit(*, scope: str, identity: str, limit: int, period: int) -> bool:
    """Count one more `scope` action by `identity`; False once more than `limit` happened in this window.

    Windows are fixed, `period` seconds long; a refused action counts too, so hammering does not
    shorten the wait.
    """
    now = time.time()
    window = int(now // period)
    key = hashlib.sha256(f"{scope}\x00{identity}".encode()).hexdigest()
    expires_at = datetime.fromtimestamp((window + 1) * period, tz=UTC)
    meta = RateLimitCounter._meta
    table = connection.ops.quote_name(meta.db_table)
    key_c, window_c, count_c, expires_c = (
        connection.ops.quote_name(meta.get_field(name).column) for name in ("key", "window", "count", "expires_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_c}, {window_c}, {count_c}, {expires_c}) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT ({key_c}, {window_c}) DO UPDATE SET {count_c} = {table}.{count_c} + 1 RETURNING {count_c}",
            [key, window, connection.ops.adapt_datetimefield_value(expires_at)],
        )
        count = cursor.fetchone()[0]
    if count == 1:  # the first action of a new window: a cheap moment to forget finished windows
        RateLimitCounter.objects.filter(expires_at__lt=datetime.fromtimestamp(now, tz=UTC)).delete()
    return count <= limit
