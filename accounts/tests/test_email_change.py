"""A billing contact changes their own e-mail address: confirmed from the new address, announced to the old one."""

import re
import time
from unittest import mock

import pytest
from django.urls import reverse
from post_office.models import Email

from accounts.models import AuditEntry
from accounts.tokens import email_change_token_generator

pytestmark = pytest.mark.django_db

FORM = reverse("accounts:email_change")
NEW = "new-billing@acme.example"


def ask(client, email=NEW, password="correct-horse-battery"):
    return client.post(FORM, {"password": password, "email": email})


def confirm_path(email: Email) -> str:
    return re.search(r"http://testserver(/billing/email/confirm/[^/\s]+/)", email.message).group(1)


def sent_link(to: str) -> str:
    return confirm_path(Email.objects.filter(to=[to]).latest("id"))


def test_the_billing_page_links_to_the_form(contact_client):
    page = contact_client.get(reverse("accounts:billing")).content.decode()
    assert FORM in page and "Change e-mail address" in page


def test_it_sends_a_link_to_the_new_address_and_a_notice_to_the_old_one(contact_client, contact, account):
    answer = ask(contact_client)
    assert answer.status_code == 302 and answer.url == reverse("accounts:billing")
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"
    to_new = Email.objects.get(to=[NEW])
    to_old = Email.objects.get(to=["billing@acme.example"])
    assert "/billing/email/confirm/" in to_new.message and "/billing/email/confirm/" in to_new.html_message
    assert NEW in to_old.message and "/billing/email/confirm/" not in to_old.message + to_old.html_message
    assert AuditEntry.objects.get(action="email_change_request").changes == {"new_email": [None, NEW]}


def test_a_wrong_current_password_is_refused(contact_client, contact):
    answer = ask(contact_client, password="not-my-password")
    assert answer.status_code == 200 and "password" in answer.context["form"].errors
    assert not Email.objects.exists()


@pytest.mark.parametrize("email", ["BILLING@acme.example", "not-an-address", "x" * 250 + "@acme.example", ""])
def test_bad_input_is_answered_with_a_form_error(contact_client, email):
    answer = ask(contact_client, email=email)
    assert answer.status_code == 200 and "email" in answer.context["form"].errors
    assert not Email.objects.exists()


def test_opening_the_link_changes_nothing_until_it_is_confirmed(contact_client, contact):
    ask(contact_client)
    page = contact_client.get(sent_link(NEW))
    assert page.status_code == 200 and NEW in page.content.decode()
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"


def test_confirming_changes_the_address_audits_it_and_tells_the_old_address(contact_client, contact, account):
    ask(contact_client)
    answer = contact_client.post(sent_link(NEW))
    assert answer.status_code == 302 and answer.url == reverse("accounts:billing")
    contact.refresh_from_db()
    assert contact.email == NEW
    entry = AuditEntry.objects.get(action="email_change")
    assert (entry.account, entry.actor, entry.target) == (account, contact, contact)
    assert entry.changes == {"email": ["billing@acme.example", NEW]}
    notice = Email.objects.filter(to=["billing@acme.example"]).latest("id")
    assert "was changed" in notice.subject and NEW in notice.message


def test_the_link_works_once(contact_client, contact):
    ask(contact_client)
    link = sent_link(NEW)
    contact_client.post(link)
    contact.email = "billing@acme.example"  # even with the old address back, the used link stays dead
    contact.save(update_fields=["email"])
    contact_client.post(link)
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"
    assert AuditEntry.objects.filter(action="email_change").count() == 1


def test_the_link_dies_after_an_hour(contact_client, contact):
    an_hour_ago = time.time() - email_change_token_generator.max_age - 5
    with mock.patch("django.core.signing.time.time", return_value=an_hour_ago):
        ask(contact_client)
    page = contact_client.get(sent_link(NEW))
    assert "invalid, used or expired" in page.content.decode()
    contact_client.post(sent_link(NEW))
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"


def test_the_link_dies_after_another_change(contact_client, contact):
    ask(contact_client)
    first = sent_link(NEW)
    ask(contact_client, email="third@acme.example")
    contact_client.post(sent_link("third@acme.example"))
    contact_client.post(first)
    contact.refresh_from_db()
    assert contact.email == "third@acme.example"


def test_the_link_dies_when_the_password_changes(contact_client, contact):
    from accounts.services import password_set

    ask(contact_client)
    link = sent_link(NEW)
    password_set(user=contact, password="a-fresh-secret-77")
    contact_client.force_login(contact)
    contact_client.post(link)
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"


def test_a_forged_or_altered_token_is_refused(contact_client, contact):
    ask(contact_client)
    link = sent_link(NEW)
    for forged in (link.replace("/confirm/", "/confirm/x"), "/billing/email/confirm/not-a-token/"):
        assert contact_client.post(forged).status_code == 200
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"


def test_another_accounts_contact_cannot_use_the_link(client, contact, account, other_account):
    client.force_login(contact)
    ask(client)
    link = sent_link(NEW)
    other = other_account.billing_contact
    client.force_login(other)
    page = client.post(link)
    assert "invalid, used or expired" in page.content.decode()
    contact.refresh_from_db()
    other.refresh_from_db()
    assert contact.email == "billing@acme.example" and other.email != NEW


def test_a_signed_out_visitor_is_sent_to_sign_in(client, contact, account):
    client.force_login(contact)
    ask(client)
    link = sent_link(NEW)
    client.logout()
    assert client.post(link).status_code == 302
    assert client.get(link).url.startswith(reverse("accounts:login"))
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_changing_the_email_address_in_the_browser(signed_in_page, live_server, contact, settings):
    from playwright.sync_api import expect

    settings.PORTAL_URL = live_server.url
    page = signed_in_page
    page.get_by_role("link", name="Billing").click()
    page.get_by_role("link", name="Change e-mail address").click()
    page.get_by_label(re.compile(r"^\s*Current password")).fill("correct-horse-battery")
    page.get_by_label(re.compile(r"^\s*New e-mail address")).fill(NEW)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_text(f"We have sent a confirmation link to {NEW}")).to_be_visible()
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example"

    link = re.search(r"http\S+/billing/email/confirm/\S+/", Email.objects.get(to=[NEW]).message).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your new e-mail address")).to_be_visible()
    page.get_by_role("button", name="Confirm e-mail address").click()
    expect(page.get_by_text(f"Your e-mail address is now {NEW}.")).to_be_visible()
    expect(page.locator("#contact-heading + p")).to_contain_text(NEW)
    contact.refresh_from_db()
    assert contact.email == NEW


def test_a_contact_asks_at_most_the_limit_an_hour_and_wrong_passwords_count(contact_client, contact, settings):
    settings.CONTACT_EMAIL_LIMIT_PER_USER = 3
    assert ask(contact_client, password="wrong-guess-1").status_code == 200
    assert ask(contact_client, email="first@acme.example").status_code == 302
    assert ask(contact_client, email="second@acme.example").status_code == 302
    refused = ask(contact_client, email="third@acme.example")
    assert refused.status_code == 200
    assert "Too many requests were sent in the last hour" in refused.content.decode()
    assert not Email.objects.filter(to=["third@acme.example"]).exists()
