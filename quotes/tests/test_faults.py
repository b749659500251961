"""Placing a service order while a server fails: nothing lost, nothing half-written, nothing twice."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import OperationalError, connection, connections, transaction
from post_office.models import STATUS, Email

from accounts.tests.factories import CompanyAccountFactory, UserFactory
from billing_portal.celery import app
from billing_portal.tasks import held_email_release, send_queued_mail
from billing_portal.tests.processes import (
    PortalBrowser,
    RedisServer,
    celery_worker,
    free_port,
    gunicorn_server,
    task_succeeded,
    wait_until,
)
from quotes import services
from quotes.documents import RECEIPT_EMAIL
from quotes.models import QuoteState, ServiceOrder
from quotes.tests.factories import SubmittedQuoteFactory
from quotes.tests.helpers import draft_order

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


class CountingHandler:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("static")


@pytest.fixture
def setup_order(terms):
    contact = UserFactory(username="acme-billing", email="billing@acme.example")
    # The web server runs production settings, whose hashers do not include the tests' fast one.
    contact.password = PBKDF2PasswordHasher().encode(PASSWORD, "fault-test-salt", iterations=1000)
    contact.save(update_fields=["password"])
    account = CompanyAccountFactory(billing_contact=contact)
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(2)]
    order = draft_order(account=account, contact=contact, quotes=quotes)
    return contact, account, quotes, order


def open_review(browser: PortalBrowser, order: ServiceOrder) -> dict:
    status, _, page = browser.request(f"/quotes/orders/{order.pk}/")
    assert status == 200
    return {
        "csrfmiddlewaretoken": browser.form_value(page, "csrfmiddlewaretoken"),
        "token": browser.form_value(page, "token"),
        "terms": browser.form_value(page, "terms"),
        "accept": "on",
    }


def test_placing_an_order_while_redis_is_down(setup_order, tmp_path, static_root):
    contact, account, quotes, order = setup_order
    redis = RedisServer(tmp_path / "redis")
    (tmp_path / "redis").mkdir()
    redis.start()
    handler = CountingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with gunicorn_server(redis.url, static_root=static_root) as url:
            browser = PortalBrowser(url)
            browser.sign_in(contact.username, PASSWORD)
            form = open_review(browser, order)

            redis.stop()
            started = time.monotonic()
            status, location, _ = browser.request(f"/quotes/orders/{order.pk}/place/", form)
            elapsed = time.monotonic() - started
        assert status == 302 and location.endswith(f"/quotes/orders/{order.pk}/confirmation/")
        assert elapsed < 2.0
        order.refresh_from_db()
        assert order.is_placed
        assert {quote.state for quote in order.accepted_quotes.all()} == {QuoteState.ACCEPTED}
        receipt = Email.objects.get(pk=order.receipt_email_id)
        assert receipt.status == STATUS.queued  # waiting, not lost

        # Redis is back: the periodic sweeps (receipts, then queued mail) run on a worker.
        redis.start()
        worker_env = {
            "DELIVERY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
        }
        with celery_worker(redis.url, **worker_env) as worker:
            with app.connection_for_write(redis.url) as broker:
                held_email_release.apply_async((RECEIPT_EMAIL.kind, order.pk), connection=broker)
                send_queued_mail.apply_async(connection=broker)
            wait_until(lambda: not Email.objects.exclude(status=STATUS.sent).exists(), timeout=60)
            with app.connection_for_write(redis.url) as broker:  # a second sweep finds nothing to send
                second_sweep = [
                    held_email_release.apply_async((RECEIPT_EMAIL.kind, order.pk), connection=broker),
                    send_queued_mail.apply_async(connection=broker),
                ]
            wait_until(lambda: all(task_succeeded(worker, task.id) for task in second_sweep), timeout=60)
        to_contact = [content for rcpt, content in handler.messages if rcpt == [contact.email]]
        assert len(to_contact) == 1
        assert b"application/pdf" in to_contact[0]
    finally:
        smtp.stop()
        redis.stop()


def test_the_database_connection_killed_in_the_middle_of_placing(setup_order):
    contact, account, quotes, order = setup_order
    blocker_ready, release_blocker = threading.Event(), threading.Event()
    outcome: dict = {}

    def hold_a_quote_lock():
        try:
            with transaction.atomic():
                list(type(quotes[1]).objects.select_for_update().filter(pk=quotes[1].pk))
                blocker_ready.set()
                release_blocker.wait(30)
        finally:
            connections.close_all()

    def place():
        try:
            services.service_order_place(order=order, actor=contact)
            outcome["result"] = "placed"
        except OperationalError as error:
            outcome["result"] = error
        except Exception as error:  # psycopg2 may raise InterfaceError once the server is gone
            outcome["result"] = error
        finally:
            connections.close_all()

    blocker = threading.Thread(target=hold_a_quote_lock)
    blocker.start()
    assert blocker_ready.wait(10)
    placer = threading.Thread(target=place)
    placer.start()
    # The placing transaction has locked the order and the account and now waits for the quote.
    with connection.cursor() as cursor:
        pid = wait_until(lambda: _waiting_backend(cursor), timeout=10)
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    placer.join(10)
    release_blocker.set()
    blocker.join(10)

    assert isinstance(outcome["result"], Exception)
    order.refresh_from_db()
    assert not order.is_placed
    assert all(
        quote.state == QuoteState.SUBMITTED for quote in type(quotes[0]).objects.filter(pk__in=[q.pk for q in quotes])
    )
    assert not Email.objects.filter(to=[contact.email]).exists()

    placed = services.service_order_place(order=order, actor=contact)  # retrying succeeds
    assert placed.is_placed
    assert Email.objects.filter(to=[contact.email]).count() == 1


def _waiting_backend(cursor):
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND pid <> pg_backend_pid()"
    )
    row = cursor.fetchone()
    return row[0] if row else None


def test_fifty_concurrent_place_requests_through_the_web_server(setup_order, tmp_path, static_root):
    contact, account, quotes, order = setup_order
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        with gunicorn_server(redis.url, static_root=static_root, workers=4) as url:
            browser = PortalBrowser(url)
            browser.sign_in(contact.username, PASSWORD)
            form = open_review(browser, order)

            def place(_):
                return PortalBrowser(url, cookies=browser.cookies).request(f"/quotes/orders/{order.pk}/place/", form)

            with ThreadPoolExecutor(50) as pool:
                results = list(pool.map(place, range(50)))
        statuses = [status for status, _, _ in results]
        assert 500 not in statuses
        confirmation = f"/quotes/orders/{order.pk}/confirmation/"
        for status, location, body in results:
            assert (status == 302 and location.endswith(confirmation)) or (status == 200 and 'role="alert"' in body)
        assert ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED).count() == 1
        assert Email.objects.filter(to=[contact.email]).count() == 1
    finally:
        redis.stop()


@pytest.mark.django_db
def test_while_beat_is_down_for_hours_no_overdue_quote_can_be_accepted_or_declined():
    from datetime import timedelta

    from quotes.services import QuoteError, quote_decline, quotes_expire_due
    from quotes.tests.factories import overdue

    contact = UserFactory(username="acme-billing", email="billing@acme.example")
    account = CompanyAccountFactory(billing_contact=contact)
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(3)]
    # Drafts made while the quotes were open (review pages left open); then hours pass without beat.
    orders = [draft_order(account=account, contact=contact, quotes=[quote]) for quote in quotes]
    for quote, hours in zip(quotes, (1, 5, 30), strict=True):
        overdue(quote, by=timedelta(hours=hours))
    for quote, order in zip(quotes, orders, strict=True):
        with pytest.raises(QuoteError):
            services.service_order_place(order=order, actor=contact)
        with pytest.raises(QuoteError):
            quote_decline(quote=quote, actor=contact, comment="too late")
    states = lambda: {q.state for q in type(quotes[0]).objects.filter(pk__in=[q.pk for q in quotes])}  # noqa: E731
    assert states() == {QuoteState.SUBMITTED}

    # Beat comes back: its first run expires every one of them, the next run nothing.
    assert quotes_expire_due() == 3
    assert quotes_expire_due() == 0
    assert states() == {QuoteState.EXPIRED}
    assert Email.objects.filter(subject__icontains="expired").count() == 1  # one notice to the account manager
