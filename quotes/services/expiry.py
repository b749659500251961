"""Beat: quotes that are due expire, and billing contacts are reminded before they do."""

import json
import logging
import math
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


# One batch: at most as many due rows as the batch takes are locked (skipping any another transaction holds) in
# an InitPlan, and the UPDATE then finds them by primary key: `id = ANY(ARRAY(...))` keeps the planner on the
# index, never a sequential scan of all submitted quotes. The same statement writes an audit entry for every
# expired quote from the UPDATE's RETURNING rows, and answers how many quotes of each account manager it
# expired (rows with a count) and which of them may enter that manager's notice (rows with a quote): all of
# them while the notice names fewer than EXPIRY_NOTICE_LISTED, else only those that come before the last one
# it names now (`cutoff`, compared in PostgreSQL's collation, like the ranking in _RANK_SQL). So a batch never
# reads again what earlier batches listed, and 100,000 expiries never pass through Python.
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
), cutoff AS (
    SELECT * FROM unnest(%(cutoff_managers)s::bigint[], %(cutoff_names)s::text[], %(cutoff_numbers)s::text[])
        AS cutoff (manager_id, name, number)
)
SELECT account_manager_id, count(*), NULL::bigint, NULL::text, NULL::text FROM expired GROUP BY account_manager_id
UNION ALL
SELECT expired.account_manager_id, NULL, expired.id, account.name, expired.number
FROM expired
JOIN accounts_companyaccount account ON account.id = expired.account_id
LEFT JOIN cutoff ON cutoff.manager_id = expired.account_manager_id
WHERE cutoff.manager_id IS NULL OR (account.name, expired.number) < (cutoff.name, cutoff.number)
"""

# The quotes a manager's notice names, from those it named so far and a batch's newcomers: the first
# EXPIRY_NOTICE_LISTED by account name and quote number, in PostgreSQL's collation (it orders the names).
_RANK_SQL = """
SELECT manager_id, id, name, number FROM (
    SELECT *, row_number() OVER (PARTITION BY manager_id ORDER BY name, number) AS position
    FROM unnest(%(managers)s::bigint[], %(ids)s::bigint[], %(names)s::text[], %(numbers)s::text[])
        AS candidate (manager_id, id, name, number)
) ranked
WHERE position <= %(listed)s ORDER BY manager_id, position
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
    transaction (the next run takes it). While others use the database, the run's batches are short and
    it pauses between them (`_others_at_work`). Each expired quote gets an audit entry in its batch's
    transaction; each account manager one e-mail per run, queued once the last batch has committed.
    """
    now = now or timezone.now()
    batch = settings.QUOTE_EXPIRY_BATCH
    params = {
        "expired": QuoteState.EXPIRED,
        "submitted": QuoteState.SUBMITTED,
        "now": now,
        "action": AuditAction.QUOTE_EXPIRE.value,
        "content_type": ContentType.objects.get_for_model(Quote).pk,
        "changes": json.dumps(_EXPIRE_CHANGES),
    }
    counts: dict[int, int] = defaultdict(int)  # manager id -> quotes expired in this run
    # manager id -> the candidates for their notice so far, (id, account name, number) each: the first
    # EXPIRY_NOTICE_LISTED of them in order since the last ranking, then newcomers in no order.
    pools: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    cutoffs: dict[int, tuple[int, str, str]] = {}  # manager id -> the last quote their notice names, when full
    size = batch
    checked = time.monotonic()  # when the run last asked whether others are at work
    while True:
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    _EXPIRE_SQL,
                    {
                        **params,
                        "batch": size,
                        "cutoff_managers": list(cutoffs),
                        "cutoff_names": [quote[1] for quote in cutoffs.values()],
                        "cutoff_numbers": [quote[2] for quote in cutoffs.values()],
                    },
                )
                rows = cursor.fetchall()
            expired_now = 0
            for manager_id, count, *quote in rows:
                if count is None:
                    pools[manager_id].append(tuple(quote))
                else:
                    counts[manager_id] += count
                    expired_now += count
            # Fewer rows than a batch: none left, or only rows another transaction holds, which this run
            # must not wait for (nor try again and again).
            last = expired_now < size
            # Asked on the batch's own connection (behind a transaction-mode pooler, the next statement
            # outside this transaction may run on another one, which the batch has just left idle).
            # Over the whole time since it last asked, the pause included: a request that came and went during
            # the pause counts too, so that a run beside a steady trickle of requests stays in short batches.
            busy = not last and _others_at_work(time.monotonic() - checked)
            checked = time.monotonic()
        took = time.monotonic() - started
        # A pool is ranked (and cut back) once it is full for the first time and whenever it has doubled since:
        # a few times per manager and run, as ever fewer newcomers come before the cutoff.
        _rank_pools(
            pools,
            cutoffs,
            [
                manager_id
                for manager_id, pool in pools.items()
                if len(pool) > 2 * EXPIRY_NOTICE_LISTED
                or (manager_id not in cutoffs and len(pool) >= EXPIRY_NOTICE_LISTED)
            ],
        )
        if last:
            break
        # Back to full batches step by step once the others have stopped (none is seen during one batch).
        size = _busy_batch_size(expired_now, took, batch) if busy else min(batch, size * 2)
        if busy:
            time.sleep(min(settings.QUOTE_EXPIRY_YIELD * took, EXPIRY_MAX_PAUSE))
    if pools:
        _rank_pools(pools, cutoffs, list(pools))
        # After the last batch, so that rendering the notices holds no quote locked. (A run that dies
        # between batches sends no notice for the quotes it expired; their audit entries are there.)
        with transaction.atomic():
            _queue_expiry_notices(
                counts, {manager_id: [quote[0] for quote in pool] for manager_id, pool in pools.items()}
            )
    expired = sum(counts.values())
    logger.info("Expired %d quotes.", expired)
    return expired


# The longest pause between two batches, whatever one batch took; the fewest quotes in a batch while others work.
EXPIRY_MAX_PAUSE = 5.0
EXPIRY_MIN_BUSY_BATCH = 100


def _others_at_work(seconds: float) -> bool:
    """Whether another client of the database was at work within the last `seconds` (since the run last
    asked: the batch just done and the pause before it), the portal's requests or a worker's task, so that
    the run should yield to it; never when `QUOTE_EXPIRY_YIELD` is 0 (or not a number).

    A run that yields makes its next batch short (`_busy_batch_size`) and then pauses
    `QUOTE_EXPIRY_YIELD` times as long as the batch took (at most EXPIRY_MAX_PAUSE seconds): with the
    default of 2 it works a third of its time, and the pages get the cores back in between. A run with
    the database to itself (the night, a benchmark of the expiry alone) never pauses and keeps its full
    batches.
    """
    if not settings.QUOTE_EXPIRY_YIELD > 0:  # 0 turns yielding off (and a setting that is not a number does too)
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the activity as it is now, not as first read
        cursor.execute(_OTHERS_AT_WORK_SQL, [seconds])
        (others_at_work,) = cursor.fetchone()
    return others_at_work


def _busy_batch_size(expired: int, seconds: float, batch: int) -> int:
    """How many quotes the next batch may take while others work: as many as this run expires in
    `QUOTE_EXPIRY_BUSY_BATCH_SECONDS` at the rate of the batch just done, between EXPIRY_MIN_BUSY_BATCH
    and the full batch.

    While a batch runs, its PostgreSQL process takes a core from the portal's requests, which queue for
    the cores left; a short batch keeps that queue short (about 0.05 s of the run's work ahead of a
    request, where a full batch at five times the present data takes up to 0.35 s).
    """
    allowed = settings.QUOTE_EXPIRY_BUSY_BATCH_SECONDS
    if not (seconds > 0 and allowed > 0 and math.isfinite(allowed)):  # 0, or not a number: full batches
        return batch
    wanted = int(expired / seconds * allowed)
    return min(batch, max(EXPIRY_MIN_BUSY_BATCH, wanted))


def _rank_pools(
    pools: dict[int, list[tuple[int, str, str]]], cutoffs: dict[int, tuple[int, str, str]], managers: list[int]
) -> None:
    """Cut the pools of `managers` back to the first EXPIRY_NOTICE_LISTED quotes, in order, and note the last of
    each full one as its manager's cutoff. One query, whatever the number of managers."""
    if not managers:
        return
    flat = [(manager_id, *quote) for manager_id in managers for quote in pools[manager_id]]
    with connection.cursor() as cursor:
        cursor.execute(
            _RANK_SQL,
            {
                "managers": [row[0] for row in flat],
                "ids": [row[1] for row in flat],
                "names": [row[2] for row in flat],
                "numbers": [row[3] for row in flat],
                "listed": EXPIRY_NOTICE_LISTED,
            },
        )
        ranked: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for manager_id, *quote in cursor.fetchall():
            ranked[manager_id].append(tuple(quote))
    for manager_id in managers:
        pools[manager_id] = ranked[manager_id]
        if len(ranked[manager_id]) >= EXPIRY_NOTICE_LISTED:
            cutoffs[manager_id] = ranked[manager_id][-1]


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
