from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.privacy import mask_email
from accounts.tests.factories import StaffFactory
from quotes import services
from quotes.admin import QuoteAdmin
from quotes.models import Quote, QuoteState

from .factories import ProductFactory, QuoteFactory, SubmittedQuoteFactory
from .helpers import draft_order, emails_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_create_a_quote_with_lines_and_submit_it(staff_client, account):
    product = ProductFactory(name="Rescue Premium")
    response = staff_client.post(
        reverse("admin:quotes_quote_add"),
        {
            "account": account.pk,
            "account_manager": "",
            "currency": "",
            "notes": "Volume discount included.",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-product": product.pk,
            "lines-0-description": "",
            "lines-0-seats": "10",
            "lines-0-term_months": "12",
            "lines-0-unit_price": "99.00",
            "lines-0-discount_percent": "10",
            "accounts-auditentry-content_type-object_id-TOTAL_FORMS": "0",
            "accounts-auditentry-content_type-object_id-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    quote = Quote.objects.get()
    assert quote.state == QuoteState.DRAFT
    assert quote.currency == account.currency
    assert quote.lines.get().line_total == Decimal("891.00")

    response = staff_client.post(
        reverse("admin:quotes_quote_changelist"), {"action": "submit_to_customer", "_selected_action": [quote.pk]}
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == QuoteState.SUBMITTED
    [email] = emails_to(account.billing_contact.email)
    assert f"http://testserver/quotes/{quote.pk}/" in email.message


def test_submitting_a_quote_twice_shows_an_error(staff_client, open_quote):
    response = staff_client.post(
        reverse("admin:quotes_quote_changelist"),
        {"action": "submit_to_customer", "_selected_action": [open_quote.pk]},
        follow=True,
    )
    assert "has already been submitted" in response.content.decode()


def test_staff_withdraw_a_quote(staff_client, open_quote, staff):
    staff_client.post(
        reverse("admin:quotes_quote_changelist"), {"action": "withdraw", "_selected_action": [open_quote.pk]}
    )
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.WITHDRAWN
    assert open_quote.decided_by == staff


def test_a_submitted_quotes_lines_are_read_only(staff_client, open_quote):
    line = open_quote.lines.get()
    response = staff_client.get(reverse("admin:quotes_quote_change", args=[open_quote.pk]))
    page = response.content.decode()
    assert 'name="lines-0-unit_price"' not in page
    assert 'name="notes"' not in page
    assert 'name="_save"' not in page
    # A forged POST changes nothing either.
    staff_client.post(
        reverse("admin:quotes_quote_change", args=[open_quote.pk]),
        {
            "notes": "changed",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-id": line.pk,
            "lines-0-quote": open_quote.pk,
            "lines-0-product": line.product_id,
            "lines-0-seats": "999",
            "lines-0-term_months": "12",
            "lines-0-unit_price": "0.01",
            "lines-0-discount_percent": "0",
        },
    )
    line.refresh_from_db()
    open_quote.refresh_from_db()
    assert line.seats == 5 and line.unit_price == Decimal("120.00")
    assert open_quote.notes == ""


def test_the_quote_shows_its_history(staff_client, account, staff):
    quote = QuoteFactory(account=account)
    services.quote_submit(quote=quote, actor=staff)
    page = staff_client.get(reverse("admin:quotes_quote_change", args=[quote.pk])).content.decode()
    assert "quote_submit" in page


def test_the_list_filters_by_state_and_searches_by_number_and_account(staff_client, account, other_quote):
    quote = SubmittedQuoteFactory(account=account)
    url = reverse("admin:quotes_quote_changelist")
    assert quote.number in staff_client.get(url, {"q": quote.number}).content.decode()
    by_account = staff_client.get(url, {"q": account.number}).content.decode()
    assert quote.number in by_account
    assert other_quote.number not in by_account
    assert (
        quote.number
        in staff_client.get(url, {"state__exact": "submitted", "account__id__exact": account.pk}).content.decode()
    )


def test_the_billing_contacts_own_address_as_admin_contact_is_masked_and_not_searched(
    staff_client, account, contact, open_quote
):
    order = draft_order(account=account, contact=contact, quotes=[open_quote], admin_email=contact.email)
    order = services.service_order_place(order=order, actor=contact)
    admin = order.seat_assignments.get().admin
    for name, pk in (("admin:quotes_serviceorder_change", order.pk), ("admin:quotes_admincontact_change", admin.pk)):
        page = staff_client.get(reverse(name, args=[pk])).content.decode()
        assert contact.email not in page and mask_email(contact.email) in page
    for name in ("admin:quotes_serviceorder_changelist", "admin:quotes_admincontact_changelist"):
        page = staff_client.get(reverse(name), {"q": contact.email})
        assert page.context["cl"].result_count == 0


def test_service_orders_and_product_admins_are_read_only(staff_client, account, contact, open_quote):
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    admin = order.seat_assignments.get().admin
    for name, pk in (("admin:quotes_serviceorder_change", order.pk), ("admin:quotes_admincontact_change", admin.pk)):
        page = staff_client.get(reverse(name, args=[pk])).content.decode()
        assert 'type="submit" value="Save"' not in page
    assert staff_client.get(reverse("admin:quotes_serviceorder_add")).status_code == 403


def test_the_staff_group_may_view_add_and_change_quotes():
    group = Group.objects.get(name="Corporate Account Services")
    codenames = set(group.permissions.filter(content_type__app_label="quotes").values_list("codename", flat=True))
    assert {
        "view_quote",
        "add_quote",
        "change_quote",
        "view_serviceorder",
        "view_admincontact",
        "add_quoteline",
    } <= codenames


def test_a_group_member_can_submit(client, account):
    manager = StaffFactory(username="cas-member")
    manager.groups.add(Group.objects.get(name="Corporate Account Services"))
    client.force_login(manager)
    quote = QuoteFactory(account=account)
    client.post(
        reverse("admin:quotes_quote_changelist"), {"action": "submit_to_customer", "_selected_action": [quote.pk]}
    )
    quote.refresh_from_db()
    assert quote.state == QuoteState.SUBMITTED
    assert AuditEntry.objects.get(action="quote_submit").actor == manager


def test_the_admin_pages_render(staff_client, account, contact, open_quote):
    draft = QuoteFactory(account=account)
    services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    for url in (
        reverse("admin:quotes_quote_add"),
        reverse("admin:quotes_quote_change", args=[draft.pk]),
        reverse("admin:quotes_quote_changelist"),
        reverse("admin:quotes_serviceorder_changelist"),
        reverse("admin:quotes_admincontact_changelist"),
        reverse("admin:quotes_product_changelist"),
    ):
        assert staff_client.get(url).status_code == 200, url
    assert (
        'name="lines-0-unit_price"'
        in staff_client.get(reverse("admin:quotes_quote_change", args=[draft.pk])).content.decode()
    )


def test_a_group_member_still_sees_requests_and_admin_contacts_after_their_renames(client, account, contact):
    member = StaffFactory(username="cas-viewer")
    member.groups.add(Group.objects.get(name="Corporate Account Services"))
    client.force_login(member)
    for name in ("admin:accounts_accountrequest_changelist", "admin:quotes_admincontact_changelist"):
        assert client.get(reverse(name)).status_code == 200, name


def _quote_form(quote, *, notes, seats):
    line = quote.lines.get()
    return {
        "account": quote.account_id,
        "account_manager": "",
        "currency": quote.currency,
        "notes": notes,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": line.pk,
        "lines-0-quote": quote.pk,
        "lines-0-product": line.product_id,
        "lines-0-description": "",
        "lines-0-seats": str(seats),
        "lines-0-term_months": "12",
        "lines-0-unit_price": "120.00",
        "lines-0-discount_percent": "0",
        "accounts-auditentry-content_type-object_id-TOTAL_FORMS": "0",
        "accounts-auditentry-content_type-object_id-INITIAL_FORMS": "0",
    }


def test_an_edit_of_a_draft_is_saved_and_audited(staff_client, account, staff):
    quote = QuoteFactory(account=account)
    response = staff_client.post(
        reverse("admin:quotes_quote_change", args=[quote.pk]), _quote_form(quote, notes="Volume discount.", seats=7)
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.notes, quote.lines.get().seats) == ("Volume discount.", 7)
    entry = AuditEntry.objects.get(action="quote_draft_update", object_id=quote.pk)
    assert (entry.actor, entry.account, entry.changes) == (staff, account, {"notes": ["", "Volume discount."]})


def test_a_draft_submitted_while_staff_edit_it_keeps_what_its_customer_was_sent(
    staff_client, account, staff, monkeypatch
):
    quote = QuoteFactory(account=account)
    form_read = Quote.objects.get(pk=quote.pk)  # the draft as the change form showed it
    services.quote_submit(quote=quote, actor=staff)  # then, in another tab, submitted
    monkeypatch.setattr(QuoteAdmin, "get_object", lambda self, request, object_id, from_field=None: form_read)

    response = staff_client.post(
        reverse("admin:quotes_quote_change", args=[quote.pk]),
        _quote_form(quote, notes="changed", seats=999),
        follow=True,
    )

    quote.refresh_from_db()
    assert quote.state == QuoteState.SUBMITTED and quote.expires_at is not None
    assert (quote.notes, quote.lines.get().seats) == ("", 5)
    assert f"Quote {quote.number} was submitted while you edited it" in response.content.decode()
    assert not AuditEntry.objects.filter(action="quote_draft_update").exists()
