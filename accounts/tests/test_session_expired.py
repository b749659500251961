"""A form sent after the session ended: back to its page after signing in, and told that nothing was done."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import InvoiceRecipient

pytestmark = pytest.mark.django_db


def sign_in(client, username, next_url, password="correct-horse-battery"):
    return client.post(
        reverse("accounts:login") + f"?next={next_url}",
        {"username": username, "password": password, "next": next_url},
        REMOTE_ADDR="10.0.0.1",
    )


def test_a_post_without_a_session_leads_to_sign_in_and_back_to_the_form_page(client, contact, account):
    response = client.post(
        reverse("accounts:recipient_add"), {"email": "ap@acme.example"}, HTTP_REFERER="http://testserver/billing/"
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:login") + "?next=/billing/"
    page = client.get(response.url)
    assert "Your session had ended. Please sign in again." in page.content.decode()

    signed_in = sign_in(client, contact.username, "/billing/")
    assert signed_in.url == "/billing/"
    assert [str(m) for m in get_messages(signed_in.wsgi_request)] == [
        "Your session had ended, so nothing was done. Please try again."
    ]
    assert not InvoiceRecipient.objects.exists()


def test_it_never_sends_back_to_a_post_only_url(client, contact, account):
    response = client.post(reverse("accounts:recipient_add"), {"email": "ap@acme.example"})
    assert response.url == reverse("accounts:login") + "?next=" + reverse("quotes:list")


def test_it_ignores_a_referer_of_another_site(client, contact, account):
    response = client.post(
        reverse("accounts:switch"), {"account": account.pk}, HTTP_REFERER="https://evil.example/billing/"
    )
    assert response.url == reverse("accounts:login") + "?next=" + reverse("quotes:list")


def test_an_ordinary_sign_in_shows_no_message(client, contact, account):
    signed_in = sign_in(client, contact.username, "/billing/")
    assert list(get_messages(signed_in.wsgi_request)) == []


def test_a_get_without_a_session_keeps_its_own_url(client, contact, account):
    response = client.get(reverse("accounts:billing"))
    assert response.url == reverse("accounts:login") + "?next=/billing/"


def test_keep_alive_answers_a_signed_in_contact(contact_client):
    assert contact_client.get(reverse("accounts:keep_alive")).status_code == 200


def test_keep_alive_sends_a_signed_out_visitor_to_sign_in(client, db):
    assert client.get(reverse("accounts:keep_alive")).status_code == 302


def test_signed_in_pages_carry_the_session_warning(contact_client, settings):
    settings.SESSION_COOKIE_AGE = 1800
    page = contact_client.get(reverse("accounts:billing")).content.decode()
    assert 'data-session-seconds="1800"' in page
    assert "Stay signed in" in page
