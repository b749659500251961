"""The account switcher: stays on the same page where that page exists in the other account."""

import pytest
from django.urls import reverse

from accounts.tests.factories import CompanyAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(contact):
    return CompanyAccountFactory(billing_contact=contact, name="Second Co")


def switch(client, account, next_url):
    return client.post(reverse("accounts:switch"), {"account": account.pk, "next": next_url})


@pytest.mark.parametrize(
    "next_url", ["/billing/", "/billing/address/", "/invoices/", "/quotes/?state=accepted", "/quotes/orders/"]
)
def test_it_stays_on_a_page_every_account_has(contact_client, second, next_url):
    assert switch(contact_client, second, next_url).url == next_url


@pytest.mark.parametrize(
    ("next_url", "home"),
    [("/quotes/5/", "/quotes/"), ("/quotes/orders/7/confirmation/", "/quotes/"), ("/invoices/3/", "/invoices/")],
)
def test_a_page_of_the_account_left_behind_leads_to_its_sections_home(contact_client, second, next_url, home):
    assert switch(contact_client, second, next_url).url == home


@pytest.mark.parametrize("next_url", ["https://evil.example/billing/", "//evil.example/", "/no-such-page/"])
def test_anything_else_leads_to_quotes(contact_client, second, next_url):
    assert switch(contact_client, second, next_url).url == reverse("quotes:list")


def test_the_switcher_does_not_submit_itself_on_change(contact_client, second):
    page = contact_client.get(reverse("accounts:billing")).content.decode()
    assert "data-autosubmit" not in page
    assert '<input type="hidden" name="next" value="/billing/">' in page
