"""Terms versions in the staff admin: staff write new versions; published ones never change."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from quotes import services
from quotes.admin import TermsVersionAdmin
from quotes.models import TermsVersion

from .factories import TermsVersionFactory
from .helpers import draft_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _form(**values):
    return {
        "language": "en",
        "version": "2027-01",
        "title": "Terms of service",
        "text": "1. Binding.",
        "published_at_0": "",
        "published_at_1": "",
        **values,
    }


def test_a_fresh_install_has_published_terms_in_english_and_german():
    assert TermsVersion.objects.current("en").language == "en"
    assert TermsVersion.objects.current("de").language == "de"


def test_the_staff_group_may_view_add_and_change_terms():
    group = Group.objects.get(name="Corporate Account Services")
    codenames = set(group.permissions.filter(content_type__app_label="quotes").values_list("codename", flat=True))
    assert {"view_termsversion", "add_termsversion", "change_termsversion"} <= codenames
    assert "delete_termsversion" not in codenames


def test_a_group_member_adds_a_version_and_is_recorded_as_its_author(staff_client, staff):
    response = staff_client.post(reverse("admin:quotes_termsversion_add"), _form())
    assert response.status_code == 302, response.content.decode()
    terms = TermsVersion.objects.get(version="2027-01")
    assert terms.created_by == staff
    assert not terms.is_published
    assert AuditEntry.objects.get(action="terms_version_create", object_id=terms.pk).actor == staff


def test_a_draft_can_still_be_changed(staff_client, staff):
    terms = TermsVersionFactory(published_at=None, title="Draft", version="2027-01")
    staff_client.post(reverse("admin:quotes_termsversion_change", args=[terms.pk]), _form(title="Better draft"))
    terms.refresh_from_db()
    assert terms.title == "Better draft"
    entry = AuditEntry.objects.get(action="terms_version_update", object_id=terms.pk)
    assert entry.actor == staff and entry.changes["title"] == ["Draft", "Better draft"]


def test_staff_publish_a_draft_from_its_page(staff_client, staff):
    terms = TermsVersionFactory(published_at=None, title="Draft", version="2027-01")
    response = staff_client.post(
        reverse("admin:quotes_termsversion_change", args=[terms.pk]),
        _form(title="Final", published_at_0="2027-01-01", published_at_1="00:00:00"),
    )
    assert response.status_code == 302
    terms.refresh_from_db()
    assert terms.is_published and terms.title == "Final"
    entry = AuditEntry.objects.get(action="terms_version_update", object_id=terms.pk)
    assert set(entry.changes) == {"title", "published_at", "text"} and entry.actor == staff


def test_terms_published_while_staff_edit_them_keep_their_words(staff_client, staff, monkeypatch):
    terms = TermsVersionFactory(published_at=None, title="Draft", text="The words.", version="2027-01")
    form_read = TermsVersion.objects.get(pk=terms.pk)  # the draft as the change form showed it
    TermsVersion.objects.filter(pk=terms.pk).update(published_at=timezone.now())  # then published in another tab
    monkeypatch.setattr(TermsVersionAdmin, "get_object", lambda self, request, object_id, from_field=None: form_read)

    page = staff_client.post(
        reverse("admin:quotes_termsversion_change", args=[terms.pk]),
        _form(title="Changed", text="Other words."),
        follow=True,
    )

    terms.refresh_from_db()
    assert (terms.title, terms.text) == ("Draft", "The words.")
    assert "Terms 2027-01 were published while you edited them" in page.content.decode()


def test_published_terms_are_read_only(staff_client):
    terms = TermsVersionFactory(title="Published", text="The words accepted.")
    page = staff_client.get(reverse("admin:quotes_termsversion_change", args=[terms.pk])).content.decode()
    assert 'name="text"' not in page
    assert "The words accepted." in page
    # A forged POST changes nothing either.
    response = staff_client.post(
        reverse("admin:quotes_termsversion_change", args=[terms.pk]), _form(title="Changed", text="Other words.")
    )
    assert response.status_code == 403
    terms.refresh_from_db()
    assert (terms.title, terms.text) == ("Published", "The words accepted.")


def test_the_current_terms_are_the_latest_published_in_the_language():
    TermsVersion.objects.all().delete()
    now = timezone.now()
    older = TermsVersionFactory(language="de", published_at=now - timedelta(days=2))
    newer = TermsVersionFactory(language="de", published_at=now - timedelta(days=1))
    TermsVersionFactory(language="de", published_at=now + timedelta(days=1))  # not yet
    TermsVersionFactory(language="de", published_at=None)  # a draft
    assert TermsVersion.objects.current("de", now) == newer != older


def test_without_terms_in_the_language_the_english_ones_are_current():
    TermsVersion.objects.filter(language="de").delete()
    english = TermsVersionFactory(language="en")
    assert TermsVersion.objects.current("de") == english


def test_one_language_has_each_version_once():
    from django.db import IntegrityError

    TermsVersionFactory(language="en", version="2030-01")
    TermsVersionFactory(language="de", version="2030-01")
    with pytest.raises(IntegrityError):
        TermsVersionFactory(language="en", version="2030-01")


def test_a_service_order_shows_under_which_terms_it_was_placed(staff_client, account, contact, open_quote, terms):
    contact.first_name, contact.last_name = "Alice", "Anders"
    contact.save(update_fields=["first_name", "last_name"])
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact, terms=terms["en"]
    )
    page = staff_client.get(reverse("admin:quotes_serviceorder_change", args=[order.pk])).content.decode()
    for field in ("terms", "terms_accepted_by_name", "terms_accepted_at"):
        assert f"field-{field}" in page, field
    assert "Alice Anders" in page
