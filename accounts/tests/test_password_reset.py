import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from post_office.models import Email

pytestmark = pytest.mark.django_db


def reset_link(email: Email) -> str:
    return re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)", email.message).group(1)


def test_it_answers_the_same_for_known_and_unknown_user_ids(client, contact, account):
    known = client.post(reverse("accounts:password_reset"), {"user_id": contact.username.upper()})
    unknown = client.post(reverse("accounts:password_reset"), {"user_id": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("accounts:password_reset_done")
    assert Email.objects.count() == 1
    assert Email.objects.get().to == [contact.email]


def test_it_sends_nothing_to_a_contact_without_an_active_account(client, contact, account):
    account.is_active = False
    account.save()
    client.post(reverse("accounts:password_reset"), {"user_id": contact.username})
    assert not Email.objects.exists()


def test_the_link_sets_a_password_once_and_ends_other_sessions(
    client, contact, account, django_capture_on_commit_callbacks
):
    other_device = client.__class__()
    other_device.force_login(contact)
    client.post(reverse("accounts:password_reset"), {"user_id": contact.username})
    link = reset_link(Email.objects.get())

    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a-much-better-secret-42", "new_password2": "a-much-better-secret-42"}
    )
    assert response.status_code == 302

    contact.refresh_from_db()
    assert contact.check_password("a-much-better-secret-42")
    assert Email.objects.filter(subject__contains="password was changed").count() == 1
    # The other device's session no longer authenticates.
    assert other_device.get(reverse("accounts:billing")).status_code == 302
    # The same link does not work twice.
    assert client.get(link, follow=True).context["validlink"] is False


def test_a_token_older_than_an_hour_is_refused(client, contact, account, settings):
    from datetime import datetime, timedelta
    from unittest import mock

    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    token = default_token_generator.make_token(contact)
    uid = urlsafe_base64_encode(force_bytes(contact.pk))
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 5)
    with mock.patch.object(default_token_generator, "_now", return_value=later):
        response = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]), follow=True)
    assert response.context["validlink"] is False


def test_a_link_is_refused_after_the_password_changed_otherwise(client, contact, account):
    from accounts.services import password_set

    client.post(reverse("accounts:password_reset"), {"user_id": contact.username})
    link = reset_link(Email.objects.get())
    password_set(user=contact, password="changed-on-another-way-7")
    assert client.get(link, follow=True).context["validlink"] is False


def test_a_look_alike_user_id_gets_no_reset_link(client, contact, account):
    response = client.post(reverse("accounts:password_reset"), {"user_id": "acme-bılling"})  # dotless ı
    assert response.url == reverse("accounts:password_reset_done")
    assert not Email.objects.exists()


def test_any_spelling_of_the_canonical_user_id_gets_the_link(client, contact, account):
    client.post(reverse("accounts:password_reset"), {"user_id": "ＡＣＭＥ-BILLING"})
    assert Email.objects.get().to == [contact.email]


def reset(client, user_id, address="192.0.2.1"):
    return client.post(reverse("accounts:password_reset"), {"user_id": user_id}, REMOTE_ADDR=address)


def test_a_user_id_gets_at_most_three_links_an_hour(client, contact, account, settings):
    assert settings.PASSWORD_RESET_LIMIT_PER_USER_ID == 3
    responses = [
        reset(client, spelling, address=f"192.0.2.{n}")
        for n, spelling in enumerate(["acme-billing", "ACME-billing", "acme-billing", "Acme-Billing", "acme-billing"])
    ]
    assert {(r.status_code, r.url) for r in responses} == {(302, reverse("accounts:password_reset_done"))}
    assert Email.objects.count() == 3


def test_an_address_gets_at_most_twenty_answers_that_send_an_hour(client, contact, account, settings):
    assert settings.PASSWORD_RESET_LIMIT_PER_ADDRESS == 20
    for number in range(20):
        reset(client, f"nobody-{number}")  # unknown User IDs count too
    response = reset(client, contact.username)
    assert response.url == reverse("accounts:password_reset_done")
    assert not Email.objects.exists()
    reset(client, contact.username, address="198.51.100.7")
    assert Email.objects.count() == 1


def test_the_limit_is_the_same_for_an_unknown_user_id(client, contact, account):
    for _ in range(4):
        known = reset(client, contact.username)
        unknown = reset(client, "nobody-here")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert Email.objects.count() == 3
