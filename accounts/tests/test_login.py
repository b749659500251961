import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def sign_in(client, username, password="correct-horse-battery"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1")


def test_it_signs_in_with_the_user_id_in_any_case(client, contact, account):
    response = sign_in(client, "ACME-Billing")
    assert response.status_code == 302
    assert response.url == reverse("quotes:list")


def test_it_shows_the_same_message_for_unknown_and_known_user_ids(client, contact, account):
    unknown = sign_in(client, "nobody-here")
    wrong_password = sign_in(client, contact.username, "wrong-password")
    assert unknown.status_code == wrong_password.status_code == 200
    assert "Invalid User ID/password" in unknown.content.decode()
    assert unknown.content.decode().replace("nobody-here", contact.username).count("Invalid") == (
        wrong_password.content.decode().count("Invalid")
    )


def test_it_refuses_a_contact_without_an_active_account(client, contact, account):
    account.is_active = False
    account.save()
    response = sign_in(client, contact.username)
    assert "Invalid User ID/password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_sends_staff_to_the_admin(client):
    from accounts.tests.factories import StaffFactory

    StaffFactory(username="staffer")
    response = sign_in(client, "staffer")
    assert response.url == reverse("admin:index")
