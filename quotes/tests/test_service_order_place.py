import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import AuditEntry
from quotes import services
from quotes.models import AdminContact, Cart, QuoteState, SeatAssignment, ServiceOrder
from quotes.services import QuoteError, service_order_place

from .factories import ProductFactory, SubmittedQuoteFactory, overdue
from .helpers import draft_order, emails_to


@pytest.mark.django_db
def test_it_accepts_every_quote_of_the_order(account, contact):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(3)]
    order = draft_order(account=account, contact=contact, quotes=quotes)
    placed = service_order_place(order=order, actor=contact)
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.PLACED
    assert order.placed_by == contact
    assert order.receipt_number
    assert placed.pk == order.pk
    for quote in quotes:
        quote.refresh_from_db()
        assert quote.state == QuoteState.ACCEPTED
        assert quote.service_order == order
        assert quote.decided_by == contact
    assert AuditEntry.objects.filter(action="quote_accept").count() == 3


@pytest.mark.django_db
def test_it_emails_the_receipt_to_the_billing_contact_and_a_notice_to_the_manager(account, contact):
    product = ProductFactory(name="Rescue Premium", sku="RESCUE-P")
    quote = SubmittedQuoteFactory(account=account, lines=[(product, 4, Decimal("250.00"))])
    order = service_order_place(order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact)
    [receipt] = emails_to(contact.email)
    assert order.receipt_number in receipt.subject
    for text in (
        order.receipt_number,
        "Rescue Premium",
        "4 seats",
        "$1,000.00",
        "Pat Admin",
        "pat@acme.example",
        str(account.payment_method_display),
    ):
        assert text in receipt.message, text
    [notice] = emails_to(account.account_manager.email)
    assert order.number in notice.subject


@pytest.mark.django_db
def test_it_creates_the_product_admin_with_one_seat_per_product(account, contact):
    first, second = ProductFactory(), ProductFactory()
    quote = SubmittedQuoteFactory(
        account=account, lines=[(first, 5, Decimal("1")), (second, 2, Decimal("1")), (first, 1, Decimal("1"))]
    )
    service_order_place(order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact)
    admin = AdminContact.objects.get(account=account)
    assert admin.email == "pat@acme.example"
    assert sorted(SeatAssignment.objects.filter(admin=admin).values_list("product_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )


@pytest.mark.django_db
def test_it_updates_the_existing_admin_with_the_same_email(account, contact):
    existing = AdminContact.objects.create(account=account, name="Old Name", email="PAT@acme.example")
    quote = SubmittedQuoteFactory(account=account)
    service_order_place(order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact)
    existing.refresh_from_db()
    assert existing.name == "Pat Admin"
    assert AdminContact.objects.filter(account=account).count() == 1
    assert existing.seats.count() == 1


@pytest.mark.django_db
def test_it_accepts_none_when_one_quote_expired(account, contact):
    good, late = SubmittedQuoteFactory(account=account), SubmittedQuoteFactory(account=account)
    order = draft_order(account=account, contact=contact, quotes=[good, late])
    overdue(late, by=__import__("datetime").timedelta(seconds=1))
    with pytest.raises(QuoteError, match="expired"):
        service_order_place(order=order, actor=contact)
    good.refresh_from_db()
    order.refresh_from_db()
    assert good.state == QuoteState.SUBMITTED
    assert order.state == ServiceOrder.State.DRAFT
    assert emails_to(contact.email) == []


@pytest.mark.django_db
def test_placing_twice_returns_the_same_order(account, contact, open_quote):
    order = draft_order(account=account, contact=contact, quotes=[open_quote])
    first = service_order_place(order=order, actor=contact)
    second = service_order_place(order=order, actor=contact)
    assert first.pk == second.pk
    assert len(emails_to(contact.email)) == 1


@pytest.mark.django_db
def test_placing_a_second_draft_of_the_same_quotes_returns_the_placed_order(account, contact, open_quote):
    # The back button: a second "Save and Proceed" drafted another order for the same quote.
    first_draft = draft_order(account=account, contact=contact, quotes=[open_quote])
    second_draft = draft_order(account=account, contact=contact, quotes=[open_quote])
    placed = service_order_place(order=first_draft, actor=contact)
    assert service_order_place(order=second_draft, actor=contact).pk == placed.pk
    assert len(emails_to(contact.email)) == 1


@pytest.mark.django_db
def test_it_empties_the_cart(account, contact, open_quote):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    service_order_place(order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact)
    assert not Cart.objects.get(account=account, contact=contact).quotes.exists()


def _in_threads(count, target):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_placements_of_one_order_place_one_order(account, contact, open_quote):
    order = draft_order(account=account, contact=contact, quotes=[open_quote])
    results, errors = _in_threads(20, lambda: service_order_place(order=order, actor=contact).pk)
    assert errors == []
    assert set(results) == {order.pk}
    assert ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED).count() == 1
    assert len(emails_to(contact.email)) == 1
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_orders_for_one_quote_place_one_order(account, contact, open_quote):
    drafts = iter([draft_order(account=account, contact=contact, quotes=[open_quote]) for _ in range(20)])
    lock = threading.Lock()

    def place():
        with lock:
            order = next(drafts)
        return service_order_place(order=order, actor=contact).pk

    results, errors = _in_threads(20, place)
    assert errors == []
    placed = ServiceOrder.objects.get(state=ServiceOrder.State.PLACED)
    assert set(results) == {placed.pk}
    assert len(emails_to(contact.email)) == 1
    assert SeatAssignment.objects.count() == 1
