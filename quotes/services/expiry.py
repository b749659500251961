"""Beat: quotes that are due expire, and billing contacts are reminded before they do."""

import json
import logging
import time
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import AuditAction, audit_changes
from accounts.models import CompanyAccount, User
from billing_portal import emails

from ..models import (
    REMINDER_BEFORE_EXPIRY,
    Quote,
    QuoteState,
)

logger = logging.getLogger(__name__)


# One batch: at most QUOTE_EXPIRY_BATCH due rows are locked (skipping any another transaction holds) in an InitPlan,
# and the UPDATE then finds them by primary key: `id = ANY(ARRAY(...))` keeps the planner on the index,
# never a sequential scan of all submitted quotes. The same statement writes an audit entry for every
# expired quote from the UPDATE's RETURNING rows and answers, per account manager, how many of their
# quotes this batch expired and which come first in the notice, ranked together with the quotes an
# earlier batch of the same run put first (listed_before): 100,000 expiries never pass through Python,
# and the ranking stays PostgreSQL's (its collation orders the account names).
# Which quotes it expires is `Quote.objects.due(now)` (quotes.models.due_condition), written in SQL;
# test_the_expiry_statement_expires_what_the_due_rule_selects keeps the two the same.
_EXPIRE_SQL = """
WITH expired AS (
    UPDATE quotes_quote SET state = %(expired)s, decided_at = expires_at
    WHERE id = ANY(ARRAY(
        SELECT id FROM quotes_quote
        WHERE state = %(submitted)s AND expires_at <= %(now)s
        ORDER BY expires_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED
    )) AND state = %(submitted)s
    RETURNING id, account_id, account_manager_id, number
), audited AS (
    INSERT INTO accounts_auditentry (account_id, actor_id, action, content_type_id, object_id, changes, created_at)
    SELECT account_id, NULL, %(action)s, %(content_type)s, id, %(changes)s::jsonb, statement_timestamp() FROM expired
), candidates AS (
    SELECT id, account_id, account_manager_id, number, true AS now_expired FROM expired
    UNION ALL
    SELECT id, account_id, account_manager_id, number, false FROM quotes_quote WHERE id = ANY(%(listed_before)s)
), ranked AS (
    SELECT candidates.id, candidates.account_manager_id,
           row_number() OVER (
               PARTITION BY candidates.account_manager_id ORDER BY account.name, candidates.number
           ) AS position,
           count(*) FILTER (WHERE now_expired) OVER (PARTITION BY candidates.account_manager_id) AS expired_count
    FROM candidates JOIN accounts_companyaccount account ON account.id = candidates.account_id
)
SELECT account_manager_id, expired_count, id FROM ranked
WHERE position <= %(listed)s ORDER BY account_manager_id, position
"""

# Which quotes it marks is `Quote.objects.due_for_reminder(now)` (quotes.models.reminder_condition),
# written in SQL for the same locking as the expiry; test_the_reminder_statement_marks_what_the_reminder_rule_selects
# keeps the two the same.
_REMIND_SQL = """
UPDATE quotes_quote SET reminder_sent_at = %(now)s
WHERE id = ANY(ARRAY(
    SELECT id FROM quotes_quote
    WHERE state = %(submitted)s AND reminder_sent_at IS NULL AND expires_at > %(now)s AND expires_at <= %(due)s
    ORDER BY id FOR UPDATE SKIP LOCKED
)) AND state = %(submitted)s AND reminder_sent_at IS NULL
RETURNING id, account_id
"""


# Whether another client of the database has been at work within the last `seconds` (the portal's
# requests, a worker's task): sessions of the same database, of roles whose activity this one may read
# (its own role's, or any with pg_read_all_stats; docs/performance.md, "Deploying at scale").
_OTHERS_AT_WORK_SQL = """
SELECT EXISTS (
    SELECT FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
      AND (state = 'active' OR state_change > clock_timestamp() - make_interval(secs => %s))
)
"""

EXPIRY_NOTICE_LISTED = 200  # quotes named in a manager's expiry notice; the count covers the rest
_EXPIRE_CHANGES = audit_changes({"state": (QuoteState.SUBMITTED, QuoteState.EXPIRED)})


def quotes_expire_due(*, now: datetime | None = None) -> int:
    """Expire every submitted quote whose `expires_at` has passed, in batches; returns how many.

    Each batch of `QUOTE_EXPIRY_BATCH` quotes is one transaction, so the portal never waits long for a
    row the expiry holds. Rows that another run (or a placing customer) holds are skipped, so two runs
    at once never expire a quote twice, and a quote being accepted right now is left to that
    transaction (the next run takes it). Between batches, the run pauses while others use the
    database (`_pause_for_others`). Each expired quote gets an audit entry in its batch's
    transaction; each account manager one e-mail per run, queued once the last batch has committed.
    """
    now = now or timezone.now()
    batch = settings.QUOTE_EXPIRY_BATCH
    params = {
        "expired": QuoteState.EXPIRED,
        "submitted": QuoteState.SUBMITTED,
        "now": now,
        "batch": batch,
        "action": AuditAction.QUOTE_EXPIRE.value,
        "content_type": ContentType.objects.get_for_model(Quote).pk,
        "changes": json.dumps(_EXPIRE_CHANGES),
        "listed": EXPIRY_NOTICE_LISTED,
    }
    counts: dict[int, int] = defaultdict(int)  # manager id -> quotes expired in this run
    listed: dict[int, list[int]] = {}  # manager id -> the quotes their notice names so far, in order
    while True:
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_EXPIRE_SQL, {**params, "listed_before": [pk for ids in listed.values() for pk in ids]})
                rows = cursor.fetchall()
            listed, expired_now = defaultdict(list), 0
            for manager_id, count, quote_id in rows:  # count: this batch's, repeated on each of the manager's rows
                if not listed[manager_id]:
                    counts[manager_id] += count
                    expired_now += count
                listed[manager_id].append(quote_id)
            # Fewer rows than a batch: none left, or only rows another transaction holds, which this run
            # must not wait for (nor try again and again).
            last = expired_now < batch
            # Asked on the batch's own connection (behind a transaction-mode pooler, the next statement
            # outside this transaction may run on another one, which the batch has just left idle).
            pause = 0.0 if last else _pause_for_others(time.monotonic() - started)
        if last:
            break
        if pause:
            time.sleep(pause)
    if listed:
        # After the last batch, so that rendering the notices holds no quote locked. (A run that dies
        # between batches sends no notice for the quotes it expired; their audit entries are there.)
        with transaction.atomic():
            _queue_expiry_notices(counts, listed)
    expired = sum(counts.values())
    logger.info("Expired %d quotes.", expired)
    return expired


# The longest pause between two batches, whatever one batch took.
EXPIRY_MAX_PAUSE = 5.0


def _pause_for_others(batch_seconds: float) -> float:
    """How long to pause after this batch: `QUOTE_EXPIRY_YIELD` times as long as it took (at most
    EXPIRY_MAX_PAUSE seconds) if another client of the database was at work meanwhile, else none.

    With the default of 2, a run that meets the portal's requests works a third of its time, and the
    pages get the cores back in between. A run with the database to itself (the night, a benchmark of
    the expiry alone) never pauses.
    """
    factor = settings.QUOTE_EXPIRY_YIELD
    if not factor > 0:  # 0 turns the pauses off (and a setting that is not a number does too)
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the activity as it is now, not as first read
        cursor.execute(_OTHERS_AT_WORK_SQL, [batch_seconds])
        (others_at_work,) = cursor.fetchone()
    return min(factor * batch_seconds, EXPIRY_MAX_PAUSE) if others_at_work else 0.0


def _queue_expiry_notices(counts: dict[int, int], listed: dict[int, list[int]]) -> None:
    """One e-mail to each account manager: how many of their quotes expired, naming the first ones."""
    # Only what the notice shows: up to 200 quotes per manager, and each account's other fields (its phone
    # number parsed into an object, for one) would cost more than rendering them.
    quotes = (
        Quote.objects.select_related("account")
        .only("number", "account__name", "account__number")
        .in_bulk([pk for ids in listed.values() for pk in ids])
    )
    managers = User.objects.in_bulk(list(listed))
    for manager_id, quote_ids in listed.items():
        manager = managers[manager_id]
        emails.queue(
            to=[manager.email],
            template="quote-expired",
            language=manager.language,
            context={"manager": manager, "quotes": [quotes[pk] for pk in quote_ids], "count": counts[manager_id]},
        )


def quotes_remind_due(*, now: datetime | None = None) -> int:
    """E-mail billing contacts about their quotes that expire within 48 hours: once per quote."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _REMIND_SQL, {"submitted": QuoteState.SUBMITTED, "now": now, "due": now + REMINDER_BEFORE_EXPIRY}
            )
            rows = cursor.fetchall()
        if not rows:
            return 0
        by_account: dict[int, list[int]] = defaultdict(list)
        for quote_id, account_id in rows:
            by_account[account_id].append(quote_id)
        accounts = CompanyAccount.objects.select_related("billing_contact").in_bulk(list(by_account))
        quotes_by_id = Quote.objects.in_bulk([quote_id for quote_id, _a in rows])
        for account_id, quote_ids in by_account.items():
            account = accounts[account_id]
            contact = account.billing_contact
            quotes = sorted((quotes_by_id[pk] for pk in quote_ids), key=lambda q: q.expires_at)
            emails.queue(
                to=[contact.email],
                template="quote-reminder",
                language=contact.language,
                context={
                    "account": account,
                    "contact": contact,
                    "quotes": quotes,
                    "link": settings.PORTAL_URL + reverse("quotes:list"),
                },
            )
    return len(rows)
