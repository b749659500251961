import pytest
from django.urls import reverse
from post_office.models import Email

from accounts.models import AuditEntry, User
from accounts.tests.factories import CompanyAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:billing_contact")
NEW = {"first_name": "Nora", "last_name": "New", "email": "nora@customer.example", "user_id": "nora-billing"}


def test_it_hands_the_role_to_a_new_person(contact_client, contact, account):
    response = contact_client.post(URL, NEW)
    assert response.status_code == 302
    account.refresh_from_db()
    new = User.objects.get(username="nora-billing")
    assert account.billing_contact == new
    assert not new.has_usable_password()
    welcome = Email.objects.get(to=["nora@customer.example"])
    assert "/password-reset/" in welcome.message
    assert Email.objects.filter(to=[contact.email]).exists()
    assert AuditEntry.objects.filter(action="billing_contact_change", actor=contact).exists()


def test_the_old_contact_loses_access_at_once(contact_client, account):
    contact_client.post(URL, NEW)
    response = contact_client.get(reverse("accounts:billing"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_old_contact_keeps_their_other_accounts(contact_client, contact, account):
    second = CompanyAccountFactory(billing_contact=contact)
    contact_client.post(URL, NEW)
    response = contact_client.get(reverse("accounts:billing"))
    assert response.status_code == 200
    assert f"Account number {second.number}" in response.content.decode()


def test_an_existing_contact_with_the_same_email_takes_the_role(contact_client, account):
    existing = UserFactory(username="nora-billing", email="nora@customer.example")
    contact_client.post(URL, NEW)
    account.refresh_from_db()
    assert account.billing_contact == existing


def test_a_user_id_taken_by_someone_else_is_a_form_error(contact_client, account):
    UserFactory(username="nora-billing", email="someone-else@customer.example")
    response = contact_client.post(URL, NEW)
    assert response.status_code == 200
    assert "This User ID is taken" in response.content.decode()
    assert not Email.objects.exists()


def test_it_rejects_an_invalid_email(contact_client, account):
    response = contact_client.post(URL, {**NEW, "email": "not-an-email"})
    assert response.status_code == 200
    assert not User.objects.filter(username="nora-billing").exists()
