"""Session expiry as a billing contact meets it, in Chromium."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from accounts.models import InvoiceRecipient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_sign_in(signed_in_page, live_server, contact):
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    # The session ends as it does after 30 idle minutes: gone wherever the session engine keeps it.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in Session.objects.values_list("session_key", flat=True):
        store(session_key=key).delete()
    page.get_by_label("E-mail").fill("ap@acme.example")
    page.get_by_role("button", name="Add recipient").click()
    expect(page.get_by_text("Your session had ended. Please sign in again.")).to_be_visible()
    page.get_by_label("User ID").fill(contact.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/billing/")
    expect(page.get_by_text("Your session had ended, so nothing was done. Please try again.")).to_be_visible()
    assert not InvoiceRecipient.objects.exists()


def test_a_warning_before_the_session_ends_keeps_it_alive(signed_in_page, live_server, settings):
    settings.SESSION_COOKIE_AGE = 302  # the warning comes 300 s before the end
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    warning = page.get_by_role("alert").filter(has_text="Your session will end in a few minutes")
    expect(warning).to_be_visible(timeout=10_000)
    with page.expect_response("**/session/keep-alive/") as answer:
        page.get_by_role("button", name="Stay signed in").click()
    assert answer.value.status == 200
    expect(warning).to_be_hidden()
