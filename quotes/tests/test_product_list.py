"""The Products page: what the account holds from its placed service orders, with seats, admin, term, renewal."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from quotes import selectors
from quotes.models import Quote, ServiceOrder
from quotes.services import service_order_place

from .factories import ProductFactory, SubmittedQuoteFactory
from .helpers import draft_order

pytestmark = pytest.mark.django_db
URL = reverse("quotes:products")


def placed(account, quotes, *, placed_at=None, admin_email="pat@acme.example"):
    contact = account.billing_contact
    order = service_order_place(
        order=draft_order(account=account, contact=contact, quotes=quotes, admin_email=admin_email), actor=contact
    )
    if placed_at is not None:
        ServiceOrder.objects.filter(pk=order.pk).update(placed_at=placed_at)
        order.refresh_from_db()
    return order


def rows(response) -> list[str]:
    return re.findall(r'<tr id="product-\d+">(.*?)</tr>', response.content.decode(), re.S)


def short(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def test_it_shows_each_product_with_seats_admin_term_renewal_and_receipt(contact_client, account):
    product = ProductFactory(sku="RS-TEAM", name="Remote Support Team")
    quote = SubmittedQuoteFactory(account=account, lines=[(product, 25, Decimal("120.00"))])
    # 03:00 UTC on 1 March is still 28 February in New York, the account's zone.
    order = placed(account, [quote], placed_at=datetime.datetime(2026, 3, 1, 3, 0, tzinfo=datetime.UTC))

    [row] = rows(contact_client.get(URL))

    assert "Remote Support Team" in row and "RS-TEAM" in row
    assert re.search(r'data-label="Seats">25</td>', row)
    assert "Pat Admin" in row and "pat@acme.example" in row
    assert f"{short(datetime.date(2026, 2, 28))}</span> – <span" in row
    assert f'{short(datetime.date(2027, 2, 28))}<br><span class="small">Renews automatically</span>' in row
    assert reverse("quotes:order_receipt_pdf", kwargs={"pk": order.pk}) in row
    assert order.receipt_number in row


def test_a_term_ends_after_its_months_and_without_auto_renewal_it_ends(contact_client, account):
    account.auto_renew = False
    account.save(update_fields=["auto_renew"])
    quote = SubmittedQuoteFactory(account=account)
    quote.lines.update(term_months=1)
    placed(account, [quote], placed_at=datetime.datetime(2026, 1, 31, 17, 0, tzinfo=datetime.UTC))

    [row] = rows(contact_client.get(URL))

    assert f"Ends on {short(datetime.date(2026, 2, 28))}" in row
    assert "Renews automatically" not in row


def test_it_lists_the_newest_order_first(contact_client, account):
    old = ProductFactory(name="Old Product")
    new = ProductFactory(name="New Product")
    placed(
        account,
        [SubmittedQuoteFactory(account=account, lines=[(old, 1, Decimal("1"))])],
        placed_at=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC),
    )
    placed(
        account,
        [SubmittedQuoteFactory(account=account, lines=[(new, 1, Decimal("1"))])],
        placed_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC),
    )

    found = rows(contact_client.get(URL))

    assert ["New Product" in found[0], "Old Product" in found[1]] == [True, True]


def test_each_product_names_the_admin_of_its_own_order(contact_client, account):
    placed(account, [SubmittedQuoteFactory(account=account)], admin_email="first@acme.example")
    placed(account, [SubmittedQuoteFactory(account=account)], admin_email="second@acme.example")

    found = rows(contact_client.get(URL))

    assert sorted(re.search(r"(\w+)@acme.example", row).group(1) for row in found) == ["first", "second"]


def test_it_leaves_out_other_accounts_and_open_or_unplaced_quotes(contact_client, account, other_account):
    placed(
        other_account, [SubmittedQuoteFactory(account=other_account, lines=[(ProductFactory(name="Foreign"), 1, 1)])]
    )
    mine = SubmittedQuoteFactory(account=account, lines=[(ProductFactory(name="In a draft order"), 1, 1)])
    draft_order(account=account, contact=account.billing_contact, quotes=[mine])
    SubmittedQuoteFactory(account=account, lines=[(ProductFactory(name="Only offered"), 1, 1)])

    response = contact_client.get(URL)

    assert rows(response) == []
    page = response.content.decode()
    assert "Foreign" not in page and "In a draft order" not in page and "Only offered" not in page
    assert "Your account holds no products yet" in page


def test_it_is_paginated_like_the_orders(contact_client, account):
    placed(account, [SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("1"))] * 51)])

    first, second = contact_client.get(URL), contact_client.get(URL, {"page": 2})

    assert (len(rows(first)), len(rows(second))) == (50, 1)
    assert "Page 1 of 2" in first.content.decode()


# User, the contact's accounts, the count, the page of products, and the session save (savepoint, update,
# release; the session is read from the cache): nothing grows with the products.
PRODUCT_LIST_QUERIES = 7


@pytest.mark.parametrize("count", [1, 200])
def test_its_query_count_is_the_same_at_1_and_200_products(contact_client, account, count, django_assert_num_queries):
    placed(account, [SubmittedQuoteFactory(account=account, lines=[(None, 2, Decimal("10"))] * count)])
    contact_client.get(URL)  # the first request of a session also stores it

    with django_assert_num_queries(PRODUCT_LIST_QUERIES):
        response = contact_client.get(URL)

    assert len(rows(response)) == min(count, 50)
    assert Quote.objects.filter(account=account, state="accepted").count() == 1


def test_the_billing_page_leads_to_the_products(contact_client):
    page = contact_client.get(reverse("accounts:billing")).content.decode()
    assert f'href="{URL}"' in page


def test_the_page_belongs_to_billing_in_the_menu(contact_client):
    page = contact_client.get(URL).content.decode()
    assert re.search(r'class="nav-link active" aria-current="page" href="/billing/"', page)


def test_it_sends_a_signed_out_visitor_to_sign_in(client, db):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize(
    ("language", "ends", "receipt"), [("en", "Ends on", "Receipt"), ("de", "Endet am", "Quittung")]
)
def test_rows_are_formatted_in_the_active_language(account, language, ends, receipt):
    account.auto_renew = False
    account.save(update_fields=["auto_renew"])
    order = placed(
        account,
        [SubmittedQuoteFactory(account=account, lines=[(None, 3, Decimal("1")), (None, 4, Decimal("2"))])],
        placed_at=datetime.datetime(2026, 1, 31, 17, 0, tzinfo=datetime.UTC),
    )
    lines = selectors.products_for_account(account=account)

    with translation.override(language):
        found = selectors.product_rows(lines, zone=account.zone)
        start, end = (short(datetime.date(2026, 1, 31)), short(datetime.date(2027, 1, 31)))

    assert [row.seats for row in found] == [3, 4]
    assert {row.ends for row in found} == {f"{ends} {end}"}
    assert {row.term_start for row in found} == {start}
    assert {row.receipt_label for row in found} == {f"{receipt} {order.receipt_number} (PDF)"}
    assert {row.receipt_url for row in found} == {reverse("quotes:order_receipt_pdf", kwargs={"pk": order.pk})}
