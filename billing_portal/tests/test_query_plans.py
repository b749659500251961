"""No portal page reads quotes or invoices by a sequential scan.

A few thousand rows over 200 accounts, then ANALYZE, so that PostgreSQL plans as it would on
real volume: one account's rows are a small share of the table, and a sequential scan of
`quotes_quote` or `invoices_invoice` on a page means a missing index. Each page is rendered
for real; every SELECT it runs on those tables is EXPLAINed exactly as it was sent (no planner
settings changed). The expiry and reminder scans of the beat tasks are checked the same way.
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import CompanyAccount, User
from invoices.models import Invoice, InvoiceLine, InvoiceState
from quotes import services as quote_services
from quotes.models import QUOTE_VALIDITY, Cart, Product, Quote, QuoteLine, QuoteState

ACCOUNTS = 200
QUOTES_PER_ACCOUNT = 20
INVOICES_PER_ACCOUNT = 10
BIG_TABLES = ("quotes_quote", "invoices_invoice")


def _create_volume() -> dict:
    rng = random.Random(6)
    now = timezone.now()
    today = now.date()
    manager = User.objects.create(username="plans-manager", email="manager@portal.example", is_staff=True)
    contacts = User.objects.bulk_create(
        [
            User(username=f"plans-contact-{i}", username_key=f"plans-contact-{i}", email=f"contact{i}@customer.example")
            for i in range(ACCOUNTS)
        ]
    )
    accounts = CompanyAccount.objects.bulk_create(
        [
            CompanyAccount(
                number=f"P{i:05d}",
                name=f"Plans Customer {i:03d}",
                account_manager=manager,
                billing_contact=contact,
                address_line1="1 Main Street",
                postal_code="10001",
                city="New York",
                country="US",
            )
            for i, contact in enumerate(contacts)
        ]
    )
    product = Product.objects.create(sku="PLANS-1", name="Remote Support")

    quotes = []
    for account in accounts:
        for n in range(QUOTES_PER_ACCOUNT):
            state = [
                QuoteState.DRAFT,
                QuoteState.SUBMITTED,
                QuoteState.SUBMITTED,
                QuoteState.EXPIRED,
                QuoteState.EXPIRED,
                QuoteState.EXPIRED,
                QuoteState.DECLINED,
                QuoteState.WITHDRAWN,
            ][n % 8]
            quote = Quote(account=account, state=state, currency="USD")
            if state != QuoteState.DRAFT:
                quote.account_manager = manager
                quote.submitted_at = now - timedelta(
                    days=rng.uniform(0.1, 6) if state == QuoteState.SUBMITTED else rng.uniform(8, 700)
                )
                quote.expires_at = quote.submitted_at + QUOTE_VALIDITY
            if state in (QuoteState.EXPIRED, QuoteState.DECLINED, QuoteState.WITHDRAWN):
                quote.decided_at = (
                    quote.expires_at if state == QuoteState.EXPIRED else quote.submitted_at + timedelta(days=1)
                )
                quote.decline_comment = "Too expensive." if state == QuoteState.DECLINED else ""
            quotes.append(quote)
    quotes = Quote.objects.bulk_create(quotes, batch_size=2000)
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(quote=quote, product=product, seats=5, unit_price=Decimal("120.00"), line_total=Decimal("600.00"))
            for quote in quotes
        ],
        batch_size=2000,
    )
    # A handful overdue, as between two runs of the expiry task.
    overdue = [quote for quote in quotes if quote.state == QuoteState.SUBMITTED][:5]
    for quote in overdue:
        quote.submitted_at = now - QUOTE_VALIDITY - timedelta(minutes=5)
        quote.expires_at = quote.submitted_at + QUOTE_VALIDITY
    Quote.objects.bulk_update(overdue, ["submitted_at", "expires_at"])

    invoices = []
    for account in accounts:
        for k in range(INVOICES_PER_ACCOUNT):
            issue_date = today - timedelta(days=30 * k)
            draft = k == 0
            invoices.append(
                Invoice(
                    account=account,
                    state=InvoiceState.DRAFT if draft else InvoiceState.PAID if k > 2 else InvoiceState.ISSUED,
                    number=None if draft else f"INV-P-{account.pk}-{k:03d}",
                    issue_date=None if draft else issue_date,
                    due_date=None if draft else issue_date + timedelta(days=30),
                    service_period_start=issue_date,
                    service_period_end=issue_date + timedelta(days=29),
                    currency="USD",
                    subtotal=Decimal("100.00"),
                    total=Decimal("100.00"),
                    pdf="" if draft else f"invoices/plans/{account.pk}-{k}.pdf",
                )
            )
    invoices = Invoice.objects.bulk_create(invoices, batch_size=2000)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=1,
                description="Remote Support",
                quantity=Decimal("1"),
                unit_price=Decimal("100.00"),
                line_total=Decimal("100.00"),
            )
            for invoice in invoices
        ],
        batch_size=2000,
    )

    account = accounts[ACCOUNTS // 2]
    open_quotes = [
        q for q in quotes if q.account_id == account.pk and q.state == QuoteState.SUBMITTED and q not in overdue
    ]
    cart = Cart.objects.create(account=account, contact=account.billing_contact)
    cart.quotes.add(*open_quotes[:2])
    invoice = next(i for i in invoices if i.account_id == account.pk and i.state == InvoiceState.ISSUED)
    with connection.cursor() as cursor:
        for model in (User, CompanyAccount, Quote, QuoteLine, Cart, Cart.quotes.through, Invoice, InvoiceLine):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return {"account": account, "contact": account.billing_contact, "quote": open_quotes[0], "invoice": invoice}


@pytest.fixture(scope="module")
def volume(django_db_setup, django_db_blocker):
    """Created once for the module inside a transaction that is rolled back afterwards (ANALYZE included)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _create_volume()
        transaction.set_rollback(True)


def _explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def _sequential_scans(plan: str) -> list[str]:
    return [line.strip() for line in plan.splitlines() if any(f"Seq Scan on {table}" in line for table in BIG_TABLES)]


def _selects_on_big_tables(client, url: str) -> list[str]:
    """Every SELECT the page runs on quotes or invoices, as sent to PostgreSQL."""
    sent: list[str] = []

    def record(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        sent.append(context["cursor"].cursor.query.decode())
        return result

    with connection.execute_wrapper(record):
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    selects = [sql for sql in sent if sql.lstrip().upper().startswith("SELECT") and any(t in sql for t in BIG_TABLES)]
    assert selects, f"{url} read neither quotes nor invoices: the test no longer sees the page's query"
    return selects


PAGES = {
    "quotes open": lambda v: reverse("quotes:list"),
    "quotes accepted": lambda v: reverse("quotes:list") + "?state=accepted",
    "quotes declined": lambda v: reverse("quotes:list") + "?state=declined",
    "quotes expired": lambda v: reverse("quotes:list") + "?state=expired",
    "quote review": lambda v: reverse("quotes:detail", kwargs={"pk": v["quote"].pk}),
    "cart": lambda v: reverse("quotes:cart"),
    "invoices": lambda v: reverse("invoices:list"),
    "invoice detail": lambda v: reverse("invoices:detail", kwargs={"pk": v["invoice"].pk}),
}


@pytest.mark.parametrize("page_name", PAGES)
def test_page_reads_quotes_and_invoices_by_index(page_name, volume, client, db):
    client.force_login(volume["contact"])
    for sql in _selects_on_big_tables(client, PAGES[page_name](volume)):
        plan = _explain(sql)
        assert not _sequential_scans(plan), f"{page_name}: sequential scan in\n{sql}\n\n{plan}"


def test_stored_pdf_download_reads_invoices_by_index(volume, client, db, settings, tmp_path):
    invoice = volume["invoice"]
    settings.MEDIA_ROOT = str(tmp_path)
    stored = tmp_path / invoice.pdf.name
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF-1.7\n%%EOF\n")
    client.force_login(volume["contact"])
    for sql in _selects_on_big_tables(client, reverse("invoices:pdf", kwargs={"pk": invoice.pk})):
        plan = _explain(sql)
        assert not _sequential_scans(plan), f"stored PDF: sequential scan in\n{sql}\n\n{plan}"


def _plans_of_locking_scans(run) -> list[str]:
    """EXPLAIN every `... SKIP LOCKED` statement `run()` sends, just before it is sent; then roll `run()` back."""
    plans: list[str] = []

    def explain_first(execute, sql, params, many, context):
        if "SKIP LOCKED" in sql:
            raw = context["cursor"].cursor
            raw.execute("EXPLAIN " + raw.mogrify(sql, params).decode())
            plans.append("\n".join(row[0] for row in raw.fetchall()))
        return execute(sql, params, many, context)

    with transaction.atomic():
        with connection.execute_wrapper(explain_first):
            run()
        transaction.set_rollback(True)
    return plans


@pytest.mark.parametrize(
    "task", [quote_services.quotes_expire_due, quote_services.quotes_remind_due], ids=["expiry", "reminder"]
)
def test_beat_scans_find_due_quotes_by_index(task, volume, db):
    plans = _plans_of_locking_scans(task)
    assert plans, "the task sent no SELECT ... FOR UPDATE SKIP LOCKED: the test no longer sees its scan"
    for plan in plans:
        assert not _sequential_scans(plan), plan
