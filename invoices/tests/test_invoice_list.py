import datetime
import re

import pytest
from django.urls import reverse

from invoices.models import Invoice, InvoiceKind, InvoiceState
from invoices.tests.factories import InvoiceFactory, IssuedInvoiceFactory

pytestmark = pytest.mark.django_db
URL = reverse("invoices:list")


def _bulk_issued(account, count: int) -> list[Invoice]:
    start = datetime.date(2010, 1, 1)
    return Invoice.objects.bulk_create(
        [
            Invoice(
                account=account,
                state=InvoiceState.ISSUED,
                number=f"INV-{account.pk}-{n:06d}",
                issue_date=start + datetime.timedelta(days=n),
                due_date=start + datetime.timedelta(days=n + 30),
                service_period_start=start,
                service_period_end=start,
                currency="USD",
                subtotal=100,
                tax=0,
                total=100,
            )
            for n in range(count)
        ]
    )


def _numbers(response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/invoices/\d+/">([^<]+)</a>', response.content.decode())


def test_it_lists_the_20_most_recent_invoices_newest_first(contact_client, account):
    _bulk_issued(account, 25)

    response = contact_client.get(URL)

    assert response.status_code == 200
    numbers = _numbers(response)
    assert len(numbers) == 20
    assert numbers == [f"INV-{account.pk}-{n:06d}" for n in range(24, 4, -1)]


def test_it_never_lists_drafts(contact_client, account):
    IssuedInvoiceFactory(account=account, number="INV-VISIBLE")
    InvoiceFactory(account=account)

    response = contact_client.get(URL)

    assert _numbers(response) == ["INV-VISIBLE"]


def test_it_never_lists_another_accounts_invoices(contact_client, account, other_account):
    IssuedInvoiceFactory(account=other_account, number="INV-OTHER")

    response = contact_client.get(URL)

    assert _numbers(response) == []
    assert "There are no invoices." in response.content.decode()


def test_it_shows_dates_amount_with_currency_and_status(contact_client, account):
    today = account.today()
    IssuedInvoiceFactory(
        account=account,
        number="INV-OPEN",
        issue_date=today,
        due_date=today + datetime.timedelta(days=30),
        subtotal=1234.5,
        total=1234.5,
        currency="EUR",
    )
    IssuedInvoiceFactory(
        account=account,
        number="INV-LATE",
        issue_date=today - datetime.timedelta(days=40),
        due_date=today - datetime.timedelta(days=10),
    )
    IssuedInvoiceFactory(
        account=account, number="INV-PAID", state=InvoiceState.PAID, issue_date=today - datetime.timedelta(days=50)
    )
    voided = IssuedInvoiceFactory(
        account=account, number="INV-VOID", state=InvoiceState.VOID, issue_date=today - datetime.timedelta(days=60)
    )
    IssuedInvoiceFactory(
        account=account,
        number="CN-1",
        kind=InvoiceKind.CREDIT_NOTE,
        corrects=voided,
        issue_date=today - datetime.timedelta(days=60),
        subtotal=-100,
        total=-100,
    )

    page = contact_client.get(URL).content.decode()

    assert "€1,234.50" in page
    for number, status in [
        ("INV-OPEN", "open"),
        ("INV-LATE", "overdue"),
        ("INV-PAID", "paid"),
        ("INV-VOID", "void"),
        ("CN-1", "credit"),
    ]:
        assert re.search(rf">{number}</a></th>.*?data-status=\"{status}\"", page, re.S), number
    assert "Overdue" in page and "Open" in page and "Paid" in page and "Void" in page
    assert "<caption" in page and 'scope="col"' in page


def test_it_formats_amounts_for_the_language_of_the_page(contact_client, account):
    IssuedInvoiceFactory(account=account, subtotal=1234.5, total=1234.5, currency="EUR")

    page = contact_client.get(URL, headers={"accept-language": "de"}).content.decode()

    assert "1.234,50\xa0€" in page


# User, the contact's accounts, the balance, the invoices, and the session save (savepoint, update, release;
# the session is read from the cache): nothing grows with the data.
LIST_QUERIES = 7


@pytest.mark.parametrize("count", [25, 5000])
def test_it_runs_a_fixed_number_of_queries_however_many_invoices_exist(
    contact_client, account, other_account, count, django_assert_num_queries
):
    _bulk_issued(account, count)
    _bulk_issued(other_account, 10)
    contact_client.get(URL)  # the first request of a session also stores it

    with django_assert_num_queries(LIST_QUERIES):
        response = contact_client.get(URL)

    assert len(_numbers(response)) == 20


def test_it_requires_a_signed_in_billing_contact(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_it_rejects_post(contact_client):
    assert contact_client.post(URL).status_code == 405
