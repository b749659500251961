"""The quote change page: "Submit" on a draft and "Withdraw" on an open quote, each through a confirmation page."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.tests.factories import StaffFactory
from quotes import services
from quotes.models import Quote, QuoteState

from .factories import QuoteFactory, SubmittedQuoteFactory, overdue
from .helpers import emails_to

pytestmark = pytest.mark.django_db

BUTTONS = {"submit": "Submit", "withdraw": "Withdraw"}


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def viewer_client(client):
    """Staff who may look at quotes but not change them."""
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_quote"))
    client.force_login(viewer)
    return client


@pytest.fixture
def draft(account):
    return QuoteFactory(account=account)


def _url(name, quote):
    return reverse(f"admin:quotes_quote_{name}", args=[quote.pk])


def _buttons(client, quote) -> set[str]:
    page = client.get(_url("change", quote)).content.decode()
    return {name for name in BUTTONS if f'href="{_url(name, quote)}"' in page}


def _audit(quote, action):
    return AuditEntry.objects.filter(object_id=quote.pk, content_type__model="quote", action=action)


def test_a_draft_shows_submit(staff_client, draft):
    assert _buttons(staff_client, draft) == {"submit"}


def test_an_open_quote_shows_withdraw(staff_client, open_quote):
    assert _buttons(staff_client, open_quote) == {"withdraw"}


def test_a_quote_past_its_expiry_or_decided_shows_no_button(staff_client, open_quote, staff):
    assert _buttons(staff_client, overdue(open_quote)) == set()
    withdrawn = services.quote_withdraw(quote=SubmittedQuoteFactory(account=open_quote.account), actor=staff)
    assert _buttons(staff_client, withdrawn) == set()


def test_staff_who_may_not_change_quotes_see_no_button_and_are_refused(viewer_client, draft, open_quote):
    assert _buttons(viewer_client, draft) == set()
    for name, quote in (("submit", draft), ("withdraw", open_quote)):
        assert viewer_client.get(_url(name, quote)).status_code == 403
        assert viewer_client.post(_url(name, quote)).status_code == 403
    draft.refresh_from_db()
    open_quote.refresh_from_db()
    assert (draft.state, open_quote.state) == (QuoteState.DRAFT, QuoteState.SUBMITTED)


def test_the_submit_confirmation_says_what_happens_and_changes_nothing(staff_client, draft, account):
    response = staff_client.get(_url("submit", draft))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Submit quote {draft.number} for $600.00 to {account}?" in page
    assert "may accept it for 7 days" in page
    assert 'value="Confirm"' in page and 'name="csrfmiddlewaretoken"' in page
    draft.refresh_from_db()
    assert draft.state == QuoteState.DRAFT
    assert emails_to(account.billing_contact.email) == []


def test_confirming_submit_submits_the_quote_and_e_mails_the_contact(staff_client, draft, account, staff):
    response = staff_client.post(_url("submit", draft), follow=True)

    assert response.redirect_chain == [(_url("change", draft), 302)]
    assert f"Quote {draft.number} submitted to the customer." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == QuoteState.SUBMITTED
    assert len(emails_to(account.billing_contact.email)) == 1
    assert _audit(draft, "quote_submit").get().actor == staff


def test_confirming_withdraw_withdraws_the_quote(staff_client, open_quote, staff):
    assert f"Withdraw quote {open_quote.number}?" in staff_client.get(_url("withdraw", open_quote)).content.decode()
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.SUBMITTED

    response = staff_client.post(_url("withdraw", open_quote), follow=True)

    assert f"Quote {open_quote.number} withdrawn." in response.content.decode()
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.WITHDRAWN
    assert open_quote.decided_by == staff
    assert _audit(open_quote, "quote_withdraw").get().actor == staff


def test_withdrawing_a_quote_the_customer_declined_meanwhile_shows_the_error(staff_client, open_quote, contact):
    staff_client.get(_url("withdraw", open_quote))
    services.quote_decline(quote=open_quote, actor=contact, comment="Not this year.")

    response = staff_client.post(_url("withdraw", open_quote), follow=True)

    assert response.status_code == 200
    assert f"Quote {open_quote.number} has already been declined." in response.content.decode()
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.DECLINED
    assert not _audit(open_quote, "quote_withdraw").exists()


def test_submitting_a_quote_submitted_meanwhile_shows_the_error(staff_client, draft, account):
    services.quote_submit(quote=Quote.objects.get(pk=draft.pk), actor=StaffFactory())

    response = staff_client.post(_url("submit", draft), follow=True)

    assert f"Quote {draft.number} has already been submitted." in response.content.decode()
    assert len(emails_to(account.billing_contact.email)) == 1


def test_the_confirmation_of_a_change_no_longer_possible_sends_staff_back_with_a_message(staff_client, open_quote):
    response = staff_client.get(_url("submit", open_quote), follow=True)

    assert response.redirect_chain == [(_url("change", open_quote), 302)]
    assert f"“Submit” is not possible for {open_quote} in its current state." in response.content.decode()
