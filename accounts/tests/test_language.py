"""The portal's language: the contact's stored choice, else the browser's; the portal's own words win."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts import services
from accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_contact_who_never_chose_follows_the_browser(contact_client, contact):
    assert contact.language == ""
    page = contact_client.get(reverse("accounts:billing"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert ">Abrechnung</a>" in page.content.decode()


def test_a_contact_who_chose_english_gets_english_in_a_german_browser(contact_client, contact):
    contact.language = "en"
    contact.save(update_fields=["language"])
    page = contact_client.get(reverse("accounts:billing"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert ">Billing</a>" in page.content.decode()
    assert page["Content-Language"] == "en"


def test_a_contact_who_chose_german_gets_german_in_an_english_browser(contact_client, contact):
    contact.language = "de"
    contact.save(update_fields=["language"])
    page = contact_client.get(reverse("accounts:billing"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert ">Abrechnung</a>" in page.content.decode()


def test_choosing_a_language_stores_it_with_an_audit_entry(contact_client, contact, account):
    contact_client.post(reverse("accounts:language"), {"language": "de", "next": "/billing/"})
    contact.refresh_from_db()
    assert contact.language == "de"
    entry = AuditEntry.objects.get(action="user_update", object_id=contact.pk)
    assert (entry.account, entry.actor, entry.changes) == (account, contact, {"language": ["", "de"]})
    services.user_language_set(user=contact, language="de")
    assert AuditEntry.objects.filter(action="user_update").count() == 1  # the same choice again changes nothing


def test_signing_in_keeps_the_browsers_language_for_a_contact_who_never_chose(client, contact, account):
    response = client.post(
        reverse("accounts:login"),
        {"username": contact.username, "password": "correct-horse-battery"},
        HTTP_ACCEPT_LANGUAGE="de",
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_signing_in_sets_the_chosen_language(client, contact, account):
    contact.language = "de"
    contact.save(update_fields=["language"])
    response = client.post(
        reverse("accounts:login"),
        {"username": contact.username, "password": "correct-horse-battery"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.parametrize(
    ("english", "german"),
    [("Save", "Speichern"), ("Set password", "Passwort festlegen")],
)
def test_the_portals_own_translations_win_over_djangos(english, german):
    with translation.override("de"):
        assert gettext(english) == german
