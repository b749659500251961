from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tax import TaxCategory
from quotes import services
from quotes.models import QUOTE_VALIDITY, Quote, QuoteLine, QuoteState

from .factories import ProductFactory, QuoteFactory, SubmittedQuoteFactory, overdue
from .helpers import draft_order

pytestmark = pytest.mark.django_db
URL = reverse("quotes:list")


def test_it_lists_open_quotes_with_total_expiry_and_review_button(contact_client, account):
    quote = SubmittedQuoteFactory(account=account, lines=[(None, 3, Decimal("1200.00"))])
    page = contact_client.get(URL).content.decode()
    assert quote.number in page
    assert "$3,600.00" in page
    assert "Review Quote" in page
    assert "Add to Cart" in page
    assert "View Cart" in page
    assert "5 days, 23 hours" in page.replace("\xa0", " ")  # time left


def test_it_shows_counts_per_state_in_the_left_menu(contact_client, account, contact):
    SubmittedQuoteFactory(account=account)
    overdue(SubmittedQuoteFactory(account=account))
    services.quote_decline(quote=SubmittedQuoteFactory(account=account), actor=contact, comment="No")
    QuoteFactory(account=account)  # a draft: staff only
    response = contact_client.get(URL)
    menu = {item["key"]: item["count"] for item in response.context["menu"]}
    assert menu == {"open": 1, "accepted": 0, "declined": 1, "expired": 1}


def test_it_lists_declined_quotes_with_comment_and_hint(contact_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    services.quote_decline(quote=quote, actor=contact, comment="Budget frozen until Q3")
    page = contact_client.get(URL + "?state=declined").content.decode()
    assert quote.number in page
    assert "Budget frozen until Q3" in page
    assert "Ask your account manager to send you a new quote." in page


def test_it_lists_an_overdue_quote_as_expired_before_the_task_ran(contact_client, account):
    quote = overdue(SubmittedQuoteFactory(account=account))
    assert quote.number not in contact_client.get(URL).content.decode()
    assert quote.number in contact_client.get(URL + "?state=expired").content.decode()


def test_it_hides_another_accounts_and_draft_quotes(contact_client, account, other_quote):
    draft = QuoteFactory(account=account)
    page = contact_client.get(URL).content.decode()
    assert other_quote.number not in page
    assert draft.number not in page


def test_it_shows_the_number_of_quotes_in_the_cart(contact_client, account, contact):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(2)]
    services.cart_add(account=account, contact=contact, quote_ids=[q.pk for q in quotes])
    response = contact_client.get(URL)
    assert response.context["cart_count"] == 2
    assert 'View Cart <span class="badge text-bg-primary">2</span>' in response.content.decode()


def test_it_falls_back_to_open_for_an_unknown_state(contact_client, account):
    assert contact_client.get(URL + "?state=nonsense").context["current"] == "open"


def _bulk_quotes(account, count):
    product = ProductFactory()
    now = timezone.now() - timedelta(hours=1)
    quotes = Quote.objects.bulk_create(
        [
            Quote(
                number=f"Q-LOAD-{n:05d}",
                account=account,
                account_manager_id=account.account_manager_id,
                currency="USD",
                state=QuoteState.SUBMITTED,
                submitted_at=now,
                expires_at=now + QUOTE_VALIDITY,
                tax_category=TaxCategory.NONE,
            )
            for n in range(count)
        ]
    )
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(quote=quote, product=product, seats=2, unit_price=Decimal("10"), line_total=Decimal("20"))
            for quote in quotes
        ]
    )


@pytest.mark.parametrize("count", [1, 500])
@pytest.mark.parametrize("state", ["open", "expired", "accepted"])
def test_its_query_count_is_fixed(contact_client, account, django_assert_max_num_queries, count, state):
    _bulk_quotes(account, count)
    if state == "expired":
        expires_at = timezone.now() - timedelta(seconds=1)
        Quote.objects.filter(account=account).update(expires_at=expires_at, submitted_at=expires_at - QUOTE_VALIDITY)
    with django_assert_max_num_queries(8):
        response = contact_client.get(URL + f"?state={state}")
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 500])
def test_its_query_count_is_the_same_at_1_and_500_quotes(contact_client, account, django_assert_num_queries, count):
    _bulk_quotes(account, count)
    # The user, the accounts, the menu counts with the cart, the page of quotes, and saving the session (3);
    # the session itself is read from the cache.
    with django_assert_num_queries(7):
        contact_client.get(URL)


def test_a_quote_accepted_elsewhere_leaves_the_list_and_the_cart_count_at_once(contact_client, account, contact):
    kept, accepted = SubmittedQuoteFactory(account=account), SubmittedQuoteFactory(account=account)
    services.cart_add(account=account, contact=contact, quote_ids=[kept.pk, accepted.pk])
    before = contact_client.get(reverse("quotes:list")).content.decode()
    # Another tab, or a colleague's session: the order is placed without this client.
    services.service_order_place(order=draft_order(account=account, contact=contact, quotes=[accepted]), actor=contact)

    after = contact_client.get(reverse("quotes:list")).content.decode()

    assert accepted.number in before and '<span class="badge text-bg-primary">2</span>' in before
    assert accepted.number not in after and '<span class="badge text-bg-primary">1</span>' in after
    assert kept.number in after
