import re
import time
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from post_office.models import Email

from accounts import services
from accounts.models import AuditEntry, User
from accounts.tests.factories import CompanyAccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:billing_contact")
NEW = {"first_name": "Nora", "last_name": "New", "email": "nora@customer.example", "user_id": "nora-billing"}
# The form as sent from the confirmation page, which alone sends the invitation.
SENT = {**NEW, "step": "confirm"}
PASSWORD = {"new_password1": "a-brand-new-secret-9", "new_password2": "a-brand-new-secret-9"}


@pytest.fixture(autouse=True)
def no_answer_floor(monkeypatch):
    # The floor that hides which kind of User ID was typed is tested on its own below.
    monkeypatch.setattr("accounts.views.INVITE_MINIMUM_SECONDS", 0, raising=False)


def invitation_link(address: str) -> str:
    message = Email.objects.get(to=[address]).message
    return re.search(r"http://testserver(/billing/contact/(?:accept|welcome)/[^/\s]+/)", message).group(1)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def visitor() -> Client:
    """A second browser, not signed in: the invitee opening the e-mailed link."""
    return Client()


@pytest.fixture
def existing(db):
    """A customer who already holds an account of their own and can sign in."""
    nora = UserFactory(username="nora-billing", email="nora@customer.example", first_name="Nora", last_name="Existing")
    CompanyAccountFactory(billing_contact=nora, name="Nora's Own Ltd.")
    return nora


def test_it_invites_a_new_person_without_handing_over_the_role(contact_client, contact, account):
    response = contact_client.post(URL, SENT)
    assert response.status_code == 302
    assert response.url == reverse("accounts:billing")
    account.refresh_from_db()
    assert account.billing_contact == contact
    new = User.objects.get(username="nora-billing")
    assert not new.has_usable_password()
    assert "/billing/contact/welcome/" in invitation_link("nora@customer.example")
    assert not Email.objects.filter(to=[contact.email]).exists()
    assert AuditEntry.objects.get(action="billing_contact_invite", actor=contact).changes["invitee"] == [
        None,
        "nora-billing",
    ]


def test_a_new_person_becomes_contact_by_setting_the_password(visitor, contact_client, contact, account):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    page = visitor.get(link)
    assert account.name in page.content.decode() and "nora-billing" in page.content.decode()
    response = visitor.post(link, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    account.refresh_from_db()
    new = User.objects.get(username="nora-billing")
    assert account.billing_contact == new
    assert new.check_password("a-brand-new-secret-9")
    assert Email.objects.filter(to=[contact.email], subject__contains="no longer the billing contact").exists()
    assert AuditEntry.objects.filter(action="billing_contact_change", actor=new).exists()
    assert (
        visitor.post(
            reverse("accounts:login"), {"username": "nora-billing", "password": "a-brand-new-secret-9"}
        ).status_code
        == 302
    )


def test_a_weak_password_is_a_form_error_and_hands_over_nothing(visitor, contact_client, contact, account):
    contact_client.post(URL, SENT)
    response = visitor.post(invitation_link("nora@customer.example"), {"new_password1": "abc", "new_password2": "abc"})
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_the_old_contact_loses_access_at_once(visitor, contact_client, account):
    contact_client.post(URL, SENT)
    visitor.post(invitation_link("nora@customer.example"), PASSWORD)
    response = contact_client.get(reverse("accounts:billing"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_old_contact_keeps_their_other_accounts(visitor, contact_client, contact, account):
    second = CompanyAccountFactory(billing_contact=contact)
    contact_client.post(URL, SENT)
    visitor.post(invitation_link("nora@customer.example"), PASSWORD)
    response = contact_client.get(reverse("accounts:billing"))
    assert response.status_code == 200
    assert f"Account number {second.number}" in response.content.decode()


def test_an_existing_customer_does_not_become_contact_until_they_accept(contact_client, contact, account, existing):
    contact_client.post(URL, SENT)
    account.refresh_from_db()
    assert account.billing_contact == contact
    link = invitation_link("nora@customer.example")
    assert "/billing/contact/accept/" in link
    nora = signed_in(existing)
    page = nora.get(link).content.decode()
    assert account.name in page and account.number in page and contact.get_full_name() in page
    response = nora.post(link)
    assert response.status_code == 302
    assert response.url == reverse("accounts:billing")
    account.refresh_from_db()
    assert account.billing_contact == existing
    assert Email.objects.filter(to=[existing.email], subject__contains="You are now the billing contact").exists()
    assert Email.objects.filter(to=[contact.email], subject__contains="no longer the billing contact").exists()
    assert AuditEntry.objects.filter(action="billing_contact_change", actor=existing).exists()
    assert f"{account.name} ({account.number})" in nora.get(reverse("accounts:billing")).content.decode()


def test_the_accept_link_asks_for_sign_in_first(visitor, contact_client, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    response = visitor.get(link)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


def test_accepting_as_another_signed_in_user_is_404(contact_client, contact, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    someone = UserFactory()
    CompanyAccountFactory(billing_contact=someone)
    stranger = signed_in(someone)
    assert stranger.get(link).status_code == 404
    assert stranger.post(link).status_code == 404
    assert stranger.post(link.replace("/accept/", "/decline/")).status_code == 404
    assert contact_client.post(link).status_code == 404
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_a_forged_link_is_404(contact_client, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    assert signed_in(existing).get(link[:-3] + "xx/").status_code == 404


def test_an_accept_link_cannot_set_a_password(visitor, contact_client, account, existing):
    contact_client.post(URL, SENT)
    accept = invitation_link("nora@customer.example")
    assert visitor.get(accept.replace("/accept/", "/welcome/")).status_code == 404
    assert visitor.post(accept.replace("/accept/", "/welcome/"), PASSWORD).status_code == 404
    existing.refresh_from_db()
    assert existing.check_password("correct-horse-battery")


def test_a_set_password_link_cannot_be_used_to_accept(contact_client, contact, account):
    contact_client.post(URL, SENT)
    welcome = invitation_link("nora@customer.example")
    nora = User.objects.get(username="nora-billing")
    CompanyAccountFactory(billing_contact=nora)
    assert signed_in(nora).post(welcome.replace("/welcome/", "/accept/")).status_code == 404
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_the_link_dies_when_the_contact_changes_meanwhile(contact_client, contact, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    services.billing_contact_assign(account=account, actor=StaffFactory(), new_contact=UserFactory())
    nora = signed_in(existing)
    assert "no longer valid" in nora.get(link).content.decode()
    nora.post(link)
    account.refresh_from_db()
    assert account.billing_contact != existing


def test_the_link_dies_when_the_contact_changes_and_changes_back(contact_client, contact, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    nora = signed_in(existing)
    nora.post(link)
    services.billing_contact_assign(account=account, actor=existing, new_contact=contact)
    nora.post(link)
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_the_link_dies_after_7_days(contact_client, contact, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    nora = signed_in(existing)
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 7 * 24 * 3600 + 60):
        assert "no longer valid" in nora.get(link).content.decode()
        nora.post(link)
    account.refresh_from_db()
    assert account.billing_contact == contact
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 7 * 24 * 3600 - 60):
        nora.post(link)
    account.refresh_from_db()
    assert account.billing_contact == existing


def test_the_set_password_link_dies_after_7_days(visitor, contact_client, contact, account):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 7 * 24 * 3600 + 60):
        assert "no longer valid" in visitor.get(link).content.decode()
        visitor.post(link, PASSWORD)
    account.refresh_from_db()
    assert account.billing_contact == contact
    assert not User.objects.get(username="nora-billing").has_usable_password()


def test_a_newer_invitation_replaces_an_older_one(contact_client, contact, account, existing):
    contact_client.post(URL, SENT)
    first = invitation_link("nora@customer.example")
    contact_client.post(URL, {**SENT, "user_id": "otto-billing", "email": "otto@customer.example"})
    signed_in(existing).post(first)
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_a_person_invited_again_before_setting_a_password_gets_a_fresh_link(visitor, contact_client, contact, account):
    contact_client.post(URL, SENT)
    Email.objects.all().delete()
    contact_client.post(URL, SENT)
    assert User.objects.filter(username__iexact="nora-billing").count() == 1
    visitor.post(invitation_link("nora@customer.example"), PASSWORD)
    account.refresh_from_db()
    assert account.billing_contact.username == "nora-billing"


def test_declining_keeps_the_contact_and_tells_them(contact_client, contact, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    nora = signed_in(existing)
    response = nora.post(link.replace("/accept/", "/decline/"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.billing_contact == contact
    assert Email.objects.filter(to=[contact.email], subject__contains="declined").exists()
    assert AuditEntry.objects.filter(action="billing_contact_invite_decline", actor=existing).exists()
    nora.post(link)
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_decline_rejects_get(contact_client, account, existing):
    contact_client.post(URL, SENT)
    link = invitation_link("nora@customer.example")
    assert signed_in(existing).get(link.replace("/accept/", "/decline/")).status_code == 405


def kinds_of_user_id():
    """Each kind of User ID a requester might type, made to exist (or not) before the request."""
    return {
        "unused": lambda: None,
        "existing customer": lambda: CompanyAccountFactory(
            billing_contact=UserFactory(username="nora-billing", email="nora@customer.example")
        ),
        "staff": lambda: StaffFactory(username="nora-billing", email="nora@customer.example"),
        "inactive": lambda: UserFactory(username="nora-billing", email="nora@customer.example", is_active=False),
        "someone else's": lambda: UserFactory(username="nora-billing", email="someone-else@customer.example"),
    }


@pytest.mark.parametrize("kind", list(kinds_of_user_id()))
def test_the_requester_sees_the_same_whatever_the_user_id(contact_client, contact, account, kind):
    kinds_of_user_id()[kind]()
    response = contact_client.post(URL, {**SENT, "user_id": "Nora-Billing"})
    assert (response.status_code, response.url) == (302, reverse("accounts:billing"))
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "We have sent nora@customer.example an invitation. Nora New becomes the billing contact of "
        f"{account.name} when they accept it; until then you remain the billing contact."
    ]
    account.refresh_from_db()
    assert account.billing_contact == contact
    assert AuditEntry.objects.filter(action="billing_contact_invite", actor=contact).count() == 1
    assert Email.objects.filter(to=["nora@customer.example"]).count() == 1
    assert not Email.objects.filter(to=[contact.email]).exists()


@pytest.mark.parametrize("kind", ["staff", "inactive", "someone else's"])
def test_a_user_id_that_cannot_take_the_role_gets_nothing_but_a_note_to_the_given_address(
    contact_client, account, kind
):
    kinds_of_user_id()[kind]()
    users = User.objects.count()
    contact_client.post(URL, SENT)
    assert User.objects.count() == users
    note = Email.objects.get()
    assert note.to == ["nora@customer.example"]
    assert "nora-billing" in note.message and "cannot be used" in note.message
    assert "/billing/contact/" not in note.message


def test_the_contacts_own_user_id_is_a_form_error(contact_client, contact, account):
    response = contact_client.post(URL, {**SENT, "user_id": contact.username.upper(), "email": contact.email})
    assert response.status_code == 200
    assert "already the billing contact" in response.content.decode()
    assert not Email.objects.exists()


def test_no_email_or_user_survives_a_rolled_back_invitation(contact, account):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.billing_contact_invite(account=account, actor=contact, **NEW)
        raise RuntimeError("the request fails after the invitation was written")
    assert not Email.objects.exists()
    assert not User.objects.filter(username="nora-billing").exists()
    assert not AuditEntry.objects.filter(action="billing_contact_invite").exists()


def test_it_rejects_an_invalid_email(contact_client, account):
    response = contact_client.post(URL, {**SENT, "email": "not-an-email"})
    assert response.status_code == 200
    assert not User.objects.filter(username="nora-billing").exists()


def test_the_answer_takes_no_less_than_the_floor(contact_client, account, monkeypatch):
    monkeypatch.setattr("accounts.views.INVITE_MINIMUM_SECONDS", 0.3, raising=False)
    started = time.monotonic()
    contact_client.post(URL, SENT)
    assert time.monotonic() - started >= 0.3


def test_a_contact_sends_at_most_the_limit_of_invitations_an_hour(contact_client, account, settings):
    settings.CONTACT_EMAIL_LIMIT_PER_USER = 2
    for n in range(2):
        response = contact_client.post(URL, {**SENT, "email": f"person-{n}@customer.example", "user_id": f"person-{n}"})
        assert response.status_code == 302
    refused = contact_client.post(URL, {**SENT, "email": "person-2@customer.example", "user_id": "person-2"})
    assert refused.status_code == 200
    assert "Too many requests were sent in the last hour" in refused.content.decode()
    assert not Email.objects.filter(to=["person-2@customer.example"]).exists()
    assert not User.objects.filter(username="person-2").exists()


def test_the_form_leads_to_a_confirmation_that_names_the_person_and_changes_nothing(contact_client, contact, account):
    response = contact_client.post(URL, {**NEW, "user_id": "Nora-Billing"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Confirm the new billing contact" in page
    details = page[page.index('id="new-contact"') : page.index("</dl>")]
    assert "Nora New" in details and "nora@customer.example" in details and "Nora-Billing" in details
    assert (
        f"Nora New becomes the billing contact of {account.name} when they accept it; "
        "until then you remain the billing contact." in page
    )
    assert "It is valid for 7 days" in page
    assert not User.objects.filter(username="Nora-Billing").exists()
    assert not Email.objects.exists()
    assert not AuditEntry.objects.filter(action="billing_contact_invite").exists()
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_the_confirmation_does_not_count_against_the_hourly_limit(contact_client, account, settings):
    settings.CONTACT_EMAIL_LIMIT_PER_USER = 1
    for _ in range(3):
        assert contact_client.post(URL, NEW).status_code == 200
    assert contact_client.post(URL, SENT).status_code == 302


def test_change_brings_back_the_form_as_filled_in(contact_client, account):
    response = contact_client.post(URL, {**NEW, "step": "change"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Confirm the new billing contact" not in page
    for value in NEW.values():
        assert f'value="{value}"' in page
    assert "invalid-feedback" not in page
    assert not Email.objects.exists()


def test_the_confirmation_carries_what_was_typed_to_the_confirm_button(contact_client, account):
    page = contact_client.post(URL, NEW).content.decode()
    confirm = page[page.index("<form") : page.index('value="confirm"')]
    for name, value in NEW.items():
        assert f'name="{name}" value="{value}"' in confirm


def test_a_tampered_confirmation_is_a_form_error_and_sends_nothing(contact_client, account):
    response = contact_client.post(URL, {**SENT, "email": "not-an-email"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Email.objects.exists()


def test_the_contacts_own_user_id_is_refused_before_the_confirmation(contact_client, contact, account):
    response = contact_client.post(URL, {**NEW, "user_id": contact.username.upper(), "email": contact.email})
    page = response.content.decode()
    assert "already the billing contact" in page
    assert "Confirm the new billing contact" not in page
