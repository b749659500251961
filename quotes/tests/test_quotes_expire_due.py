import contextlib
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import quotes.services.expiry
from accounts.audit import AuditAction, audit_changes
from accounts.models import AuditEntry
from accounts.tests.factories import CompanyAccountFactory
from quotes.models import QUOTE_VALIDITY, Quote, QuoteLine, QuoteState, ServiceOrder
from quotes.services import QuoteError, quotes_expire_due, service_order_place

from .factories import ProductFactory, SubmittedQuoteFactory, overdue
from .helpers import draft_order, emails_to


@pytest.mark.django_db
def test_it_expires_quotes_whose_time_has_passed(account, open_quote):
    due = overdue(SubmittedQuoteFactory(account=account))
    assert quotes_expire_due() == 1
    due.refresh_from_db()
    open_quote.refresh_from_db()
    assert due.state == QuoteState.EXPIRED
    assert due.decided_at == due.expires_at
    assert open_quote.state == QuoteState.SUBMITTED
    assert AuditEntry.objects.get(action="quote_expire").object_id == due.pk


@pytest.mark.django_db
def test_it_expires_exactly_at_expires_at(account, open_quote):
    assert quotes_expire_due(now=open_quote.expires_at - timedelta(microseconds=1)) == 0
    assert quotes_expire_due(now=open_quote.expires_at) == 1


@pytest.mark.django_db
def test_it_sends_one_email_per_account_manager(account, other_account):
    for target in (account, account, other_account):
        overdue(SubmittedQuoteFactory(account=target))
    quotes_expire_due()
    [email] = emails_to(account.account_manager.email)
    assert "2 quotes have expired" in email.subject
    assert len(emails_to(other_account.account_manager.email)) == 1


@pytest.mark.django_db
def test_running_it_again_does_nothing(account):
    overdue(SubmittedQuoteFactory(account=account))
    assert quotes_expire_due() == 1
    assert quotes_expire_due() == 0
    assert AuditEntry.objects.filter(action="quote_expire").count() == 1
    assert len(emails_to(account.account_manager.email)) == 1


@pytest.mark.django_db
def test_it_leaves_declined_accepted_and_withdrawn_quotes_alone(account):
    quote = overdue(SubmittedQuoteFactory(account=account))
    Quote.objects.filter(pk=quote.pk).update(state=QuoteState.WITHDRAWN)
    assert quotes_expire_due() == 0


@pytest.mark.django_db
@pytest.mark.slow
def test_it_expires_ten_thousand_quotes_in_batches_of_one_statement_each(settings):
    settings.QUOTE_EXPIRY_BATCH = 4000
    accounts = [CompanyAccountFactory() for _ in range(5)]
    product = ProductFactory()
    submitted_at = timezone.now() - QUOTE_VALIDITY - timedelta(hours=1)
    quotes = Quote.objects.bulk_create(
        [
            Quote(
                number=f"Q-BULK-{n:05d}",
                account=accounts[n % 5],
                account_manager_id=accounts[n % 5].account_manager_id,
                currency="USD",
                state=QuoteState.SUBMITTED,
                submitted_at=submitted_at,
                expires_at=submitted_at + QUOTE_VALIDITY,
            )
            for n in range(10_000)
        ],
        batch_size=2000,
    )
    QuoteLine.objects.bulk_create(
        [QuoteLine(quote=quote, product=product, seats=1, unit_price=1, line_total=1) for quote in quotes[:10]]
    )
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        assert quotes_expire_due() == 10_000
    elapsed = time.monotonic() - started
    updates = [q["sql"] for q in queries.captured_queries if "UPDATE quotes_quote" in q["sql"]]
    assert len(updates) == 3  # 4,000, 4,000 and the last 2,000
    assert all("INSERT INTO accounts_auditentry" in update for update in updates)
    # One statement per batch expires its quotes and writes their audit rows, then one e-mail per
    # manager: no loop over the quotes.
    assert len(queries.captured_queries) < 40, [q["sql"][:80] for q in queries.captured_queries]
    assert Quote.objects.filter(state=QuoteState.EXPIRED).count() == 10_000
    assert AuditEntry.objects.filter(action="quote_expire").count() == 10_000
    print(f"expired 10,000 quotes in {elapsed:.2f}s with {len(queries.captured_queries)} queries")


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_expire_each_quote_once(account):
    for _ in range(50):
        overdue(SubmittedQuoteFactory(account=account, lines=[]))
    counts = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            counts.append(quotes_expire_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 50
    assert AuditEntry.objects.filter(action="quote_expire").count() == 50


@pytest.mark.django_db(transaction=True)
def test_a_run_skips_the_quotes_another_transaction_holds_instead_of_waiting(account):
    """What SKIP LOCKED is for: a run never waits for a second run or for a customer placing an order."""
    held, *others = [overdue(SubmittedQuoteFactory(account=account, lines=[])) for _ in range(5)]
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Quote.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        result = {}
        runner = threading.Thread(target=lambda: (result.update(expired=quotes_expire_due()), connection.close()))
        runner.start()
        runner.join(5)
        assert not runner.is_alive(), "the expiry waited for a row another transaction holds"
        assert result["expired"] == len(others)
    finally:
        release.set()
        holder.join()
    assert quotes_expire_due() == 1  # the held quote, once its holder is done
    assert Quote.objects.filter(state=QuoteState.EXPIRED).count() == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("offset", [timedelta(milliseconds=-300), timedelta(0), timedelta(milliseconds=300)])
def test_accept_and_expiry_racing_at_expires_at_never_do_both(account, contact, offset):
    quote = SubmittedQuoteFactory(account=account)
    order = draft_order(account=account, contact=contact, quotes=[quote])
    # The quote expires right now; the customer places and beat expires at the same moment.
    expires_at = timezone.now() + offset
    Quote.objects.filter(pk=quote.pk).update(submitted_at=expires_at - QUOTE_VALIDITY, expires_at=expires_at)
    barrier = threading.Barrier(2)
    outcome = {}

    def place():
        try:
            barrier.wait()
            service_order_place(order=order, actor=contact)
            outcome["placed"] = True
        except QuoteError:
            outcome["placed"] = False
        finally:
            connection.close()

    def expire():
        try:
            barrier.wait()
            outcome["expired"] = quotes_expire_due(now=max(timezone.now(), expires_at))
        finally:
            connection.close()

    threads = [threading.Thread(target=place), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    quote.refresh_from_db()
    order.refresh_from_db()
    if outcome["placed"]:
        assert quote.state == QuoteState.ACCEPTED and outcome["expired"] == 0
        assert order.state == ServiceOrder.State.PLACED
    else:
        assert quote.state != QuoteState.ACCEPTED and quote.service_order_id is None
        assert order.state == ServiceOrder.State.DRAFT
        assert emails_to(contact.email) == []
        if quote.state == QuoteState.SUBMITTED:
            # The expiry skipped the row while the failing placement held it (SKIP LOCKED): the next run takes it.
            assert outcome["expired"] == 0
            assert quotes_expire_due(now=max(timezone.now(), expires_at)) == 1
            quote.refresh_from_db()
        assert quote.state == QuoteState.EXPIRED
    # Whoever lost, a later run changes nothing.
    assert quotes_expire_due(now=expires_at + timedelta(days=1)) == 0


@pytest.mark.django_db
def test_each_expired_quote_gets_its_audit_entry(account, other_account):
    quotes = [overdue(SubmittedQuoteFactory(account=target)) for target in (account, other_account)]
    quotes_expire_due()
    entries = {entry.object_id: entry for entry in AuditEntry.objects.filter(action="quote_expire")}
    assert set(entries) == {quote.pk for quote in quotes}
    for quote in quotes:
        entry = entries[quote.pk]
        assert (entry.account_id, entry.actor, entry.target) == (quote.account_id, None, quote)
        assert entry.changes == {"state": ["submitted", "expired"]}
        assert entry.created_at is not None


@pytest.mark.django_db
def test_the_notice_names_the_first_quotes_and_counts_them_all(account, monkeypatch):
    monkeypatch.setattr("quotes.services.expiry.EXPIRY_NOTICE_LISTED", 2)
    quotes = sorted((overdue(SubmittedQuoteFactory(account=account)) for _ in range(3)), key=lambda quote: quote.number)
    assert quotes_expire_due() == 3
    [email] = emails_to(account.account_manager.email)
    assert "3 quotes have expired" in email.subject
    assert quotes[0].number in email.message and quotes[1].number in email.message
    assert quotes[2].number not in email.message
    assert "…" in email.message


@pytest.mark.django_db
def test_the_expiry_statement_writes_entries_like_every_other_audit_writer(account):
    due = overdue(SubmittedQuoteFactory(account=account))
    quotes_expire_due()
    entry = AuditEntry.objects.get(object_id=due.pk)
    assert AuditAction(entry.action) == AuditAction.QUOTE_EXPIRE
    assert entry.changes == audit_changes({"state": (QuoteState.SUBMITTED, QuoteState.EXPIRED)})


def _transaction_of_each_batch(run) -> list[int]:
    """Call `run()` and answer, for each expiry statement it sends, the id of the transaction it ran in."""
    transactions = []

    def record(execute, sql, params, many, context):
        if "UPDATE quotes_quote" in sql:
            raw = context["cursor"].cursor
            raw.execute("SELECT txid_current()")
            transactions.append(raw.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run()
    return transactions


@pytest.mark.django_db(transaction=True)
def test_each_batch_is_a_transaction_of_its_own(account, other_account, settings):
    settings.QUOTE_EXPIRY_BATCH = 2
    quotes = [overdue(SubmittedQuoteFactory(account=target)) for target in (account,) * 3 + (other_account,) * 2]
    expired = []
    transactions = _transaction_of_each_batch(lambda: expired.append(quotes_expire_due()))
    assert expired == [5]
    assert len(transactions) == 3 and len(set(transactions)) == 3  # 2, 2 and the last 1
    assert Quote.objects.filter(state=QuoteState.EXPIRED).count() == 5
    entries = AuditEntry.objects.filter(action="quote_expire")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(quote.pk for quote in quotes)
    [notice] = emails_to(account.account_manager.email)
    assert "3 quotes have expired" in notice.subject
    [notice] = emails_to(other_account.account_manager.email)
    assert "2 quotes have expired" in notice.subject


@pytest.mark.django_db
def test_the_notice_names_the_first_quotes_of_the_whole_run_not_of_one_batch(account, monkeypatch, settings):
    settings.QUOTE_EXPIRY_BATCH = 2
    monkeypatch.setattr("quotes.services.expiry.EXPIRY_NOTICE_LISTED", 2)
    first, second, *others = sorted(
        (SubmittedQuoteFactory(account=account) for _ in range(5)), key=lambda quote: quote.number
    )
    # Batches take the longest overdue first: the two quotes the notice names expire in the first and the last batch.
    for quote, hours in zip([second, others[0], others[1], others[2], first], [5, 4, 3, 2, 1], strict=True):
        overdue(quote, by=timedelta(hours=hours))
    assert quotes_expire_due() == 5
    [notice] = emails_to(account.account_manager.email)
    assert "5 quotes have expired" in notice.subject
    assert f"{first.number} · {account.name} ({account.number})" in notice.message
    assert f"{second.number} · {account.name} ({account.number})" in notice.message
    assert not any(quote.number in notice.message for quote in others)


@pytest.mark.django_db(transaction=True)
def test_a_row_another_transaction_holds_ends_the_batches_instead_of_being_tried_again(account, settings):
    settings.QUOTE_EXPIRY_BATCH = 2
    held, *others = [overdue(SubmittedQuoteFactory(account=account, lines=[])) for _ in range(5)]
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Quote.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    def expire():
        try:
            with CaptureQueriesContext(connection) as queries:
                result["expired"] = quotes_expire_due()
            result["batches"] = sum("UPDATE quotes_quote" in query["sql"] for query in queries.captured_queries)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        result = {}
        runner = threading.Thread(target=expire)
        runner.start()
        runner.join(5)
        assert not runner.is_alive(), "the expiry kept trying the row another transaction holds"
        assert result == {"expired": 4, "batches": 3}  # 2, 2, then none it may take
    finally:
        release.set()
        holder.join()
    assert quotes_expire_due() == 1


def _pauses_of_a_run(monkeypatch, *, while_another_client_works: bool) -> list[float]:
    """Expire 5 quotes in batches of 2 (three batches) and return the pauses the run made between them."""
    return _a_run(monkeypatch, while_another_client_works=while_another_client_works).pauses


def _a_run(monkeypatch, *, while_another_client_works: bool, due: int = 5) -> SimpleNamespace:
    """Expire `due` quotes: the pauses the run made between its batches, and how many quotes each batch might take."""
    pauses: list[float] = []
    batches: list[int] = []
    windows: list[float] = []  # how far back each question whether others are at work looked

    def pause(seconds: float) -> None:  # noted, and the run's clock moved on, without waiting
        pauses.append(seconds)

    monkeypatch.setattr(
        quotes.services.expiry,
        "time",
        SimpleNamespace(monotonic=lambda: time.monotonic() + sum(pauses), sleep=pause),
    )

    def note_batch(execute, sql, params, many, context):
        if "UPDATE quotes_quote" in sql:
            batches.append(params["batch"])
        if "pg_stat_activity" in sql:
            windows.append(params[0])
        return execute(sql, params, many, context)

    for _ in range(due):
        overdue(SubmittedQuoteFactory(lines=[]))
    other: dict = {}
    working = threading.Event()

    def work():  # another client of the same database, in one long statement until it is cancelled
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (other["pid"],) = cursor.fetchone()
                working.set()
                with contextlib.suppress(OperationalError):
                    cursor.execute("SELECT pg_sleep(60)")
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    if while_another_client_works:
        thread.start()
        assert working.wait(10)
    try:
        with connection.execute_wrapper(note_batch):
            assert quotes_expire_due() == due
    finally:
        if while_another_client_works:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_cancel_backend(%s)", [other["pid"]])
            thread.join(10)
    return SimpleNamespace(pauses=pauses, batches=batches, windows=windows)


@pytest.mark.django_db
def test_a_run_pauses_between_batches_while_another_client_uses_the_database(monkeypatch, settings):
    settings.QUOTE_EXPIRY_BATCH, settings.QUOTE_EXPIRY_YIELD = 2, 2.0

    pauses = _pauses_of_a_run(monkeypatch, while_another_client_works=True)

    assert len(pauses) == 2  # after the first and the second batch; the last one ends the run
    assert all(pause > 0 for pause in pauses)


@pytest.mark.django_db
def test_a_run_with_the_database_to_itself_never_pauses(monkeypatch, settings):
    settings.QUOTE_EXPIRY_BATCH, settings.QUOTE_EXPIRY_YIELD = 2, 2.0

    assert _pauses_of_a_run(monkeypatch, while_another_client_works=False) == []


@pytest.mark.django_db
@pytest.mark.parametrize("factor", [0, float("nan")])
def test_a_run_told_not_to_yield_never_pauses(monkeypatch, settings, factor):
    settings.QUOTE_EXPIRY_BATCH, settings.QUOTE_EXPIRY_YIELD = 2, factor

    assert _pauses_of_a_run(monkeypatch, while_another_client_works=True) == []


@pytest.mark.django_db
def test_no_pause_is_longer_than_the_longest_allowed(monkeypatch, settings):
    settings.QUOTE_EXPIRY_BATCH, settings.QUOTE_EXPIRY_YIELD = 2, 1e9

    assert (
        _pauses_of_a_run(monkeypatch, while_another_client_works=True) == [quotes.services.expiry.EXPIRY_MAX_PAUSE] * 2
    )


@pytest.mark.django_db
def test_a_run_takes_short_batches_while_another_client_uses_the_database(monkeypatch, settings):
    settings.QUOTE_EXPIRY_BATCH, settings.QUOTE_EXPIRY_YIELD = 3, 2.0
    settings.QUOTE_EXPIRY_BUSY_BATCH_SECONDS = 1e-9  # fewer quotes than one in that time: the smallest batch
    monkeypatch.setattr(quotes.services.expiry, "EXPIRY_MIN_BUSY_BATCH", 1)

    run = _a_run(monkeypatch, while_another_client_works=True)

    assert run.batches == [3, 1, 1, 1]  # 3, then one at a time, until a batch finds none left
    assert len(run.pauses) == 3


@pytest.mark.django_db
def test_a_run_with_the_database_to_itself_keeps_its_full_batches(monkeypatch, settings):
    settings.QUOTE_EXPIRY_BATCH, settings.QUOTE_EXPIRY_YIELD = 3, 2.0
    settings.QUOTE_EXPIRY_BUSY_BATCH_SECONDS = 1e-9
    monkeypatch.setattr(quotes.services.expiry, "EXPIRY_MIN_BUSY_BATCH", 1)

    assert _a_run(monkeypatch, while_another_client_works=False).batches == [3, 3]


def test_a_busy_batch_takes_what_the_run_expires_in_the_time_allowed_within_bounds(settings):
    settings.QUOTE_EXPIRY_BUSY_BATCH_SECONDS = 0.05
    busy_batch_size = quotes.services.expiry._busy_batch_size
    assert busy_batch_size(2500, 0.5, 2500) == 250  # 5,000 quotes a second: 250 in 50 ms
    assert busy_batch_size(2500, 10.0, 2500) == quotes.services.expiry.EXPIRY_MIN_BUSY_BATCH
    assert busy_batch_size(2500, 0.01, 2500) == 2500  # never more than a full batch


@pytest.mark.django_db
def test_the_notice_names_the_first_quotes_by_account_name_and_number_over_many_batches(
    account, other_account, monkeypatch, settings
):
    settings.QUOTE_EXPIRY_BATCH = 2
    monkeypatch.setattr("quotes.services.expiry.EXPIRY_NOTICE_LISTED", 3)
    manager = account.account_manager
    # Two more accounts of the same manager, of one name that comes before the first account's: their quotes
    # come first in the notice, by number across both, although the first account's numbers are the lowest.
    sibling = CompanyAccountFactory(account_manager=manager, name=f"Aardvark {account.name}")
    twin = CompanyAccountFactory(account_manager=manager, name=sibling.name)
    in_order = [
        SubmittedQuoteFactory(account=sibling, number="Q-T10", lines=[]),
        SubmittedQuoteFactory(account=twin, number="Q-T105", lines=[]),
        *(SubmittedQuoteFactory(account=sibling, number=f"Q-T1{n}", lines=[]) for n in range(1, 10)),
        *(SubmittedQuoteFactory(account=account, number=f"Q-T0{n}", lines=[]) for n in range(10)),
    ]
    others = [SubmittedQuoteFactory(account=other_account, lines=[]) for _ in range(2)]
    # The last in the notice's order expires first: every batch brings quotes that come before all earlier
    # ones, so the candidates are ranked again and again, and the first three arrive in the last batches.
    for hours, quote in enumerate([*in_order[:11], *others, *in_order[11:]], start=1):  # the first here expires last
        overdue(quote, by=timedelta(hours=hours))

    assert quotes_expire_due() == 23

    [notice] = emails_to(manager.email)
    assert "21 quotes have expired" in notice.subject
    named = sorted(
        (notice.message.index(quote.number), quote.number) for quote in in_order if quote.number in notice.message
    )
    assert [number for _position, number in named] == ["Q-T10", "Q-T105", "Q-T11"]
    [notice] = emails_to(other_account.account_manager.email)
    assert "2 quotes have expired" in notice.subject
    assert all(quote.number in notice.message for quote in others)


@pytest.mark.django_db
def test_whether_others_work_is_asked_over_the_pause_too(monkeypatch, settings):
    """A request that comes and goes while the run pauses keeps the next batch short."""
    settings.QUOTE_EXPIRY_BATCH, settings.QUOTE_EXPIRY_YIELD = 2, 1e9  # each pause the longest allowed

    run = _a_run(monkeypatch, while_another_client_works=True)

    assert run.pauses == [quotes.services.expiry.EXPIRY_MAX_PAUSE] * 2
    assert len(run.windows) == 2  # after the first and the second batch; the last one ends the run
    assert run.windows[1] >= run.pauses[0]  # the second question covers the first pause, not only the batch after it


@pytest.mark.django_db
@pytest.mark.parametrize("seconds", [0, float("nan"), float("inf")])
def test_a_busy_batch_time_that_is_not_a_positive_number_keeps_full_batches(settings, seconds):
    settings.QUOTE_EXPIRY_BUSY_BATCH_SECONDS = seconds
    assert quotes.services.expiry._busy_batch_size(2500, 0.5, 2500) == 2500


@pytest.mark.django_db
def test_once_nobody_else_is_at_work_the_batches_grow_back_step_by_step(monkeypatch, settings):
    settings.QUOTE_EXPIRY_BATCH = 8
    settings.QUOTE_EXPIRY_BUSY_BATCH_SECONDS = 1e-9
    monkeypatch.setattr(quotes.services.expiry, "EXPIRY_MIN_BUSY_BATCH", 1)
    monkeypatch.setattr(
        quotes.services.expiry, "time", SimpleNamespace(monotonic=time.monotonic, sleep=lambda _s: None)
    )
    answers = iter([True, False, False, False])  # others at work during the first batch only
    monkeypatch.setattr(quotes.services.expiry, "_others_at_work", lambda _seconds: next(answers))
    batches: list[int] = []

    def note_batch(execute, sql, params, many, context):
        if "UPDATE quotes_quote" in sql:
            batches.append(params["batch"])
        return execute(sql, params, many, context)

    for _ in range(12):
        overdue(SubmittedQuoteFactory(lines=[]))
    with connection.execute_wrapper(note_batch):
        assert quotes_expire_due() == 12

    assert batches == [8, 1, 2, 4]  # 8, then one while others work, then twice as many each time: 1 of 4 ends it
