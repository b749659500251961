from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client, user_id, password="wrong", address="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": user_id, "password": password}, REMOTE_ADDR=address)


def test_ten_failures_lock_the_user_id_from_any_address(client, contact, account):
    for number in range(10):
        attempt(client, contact.username.upper() if number % 2 else contact.username, address=f"10.0.0.{number}")
    response = attempt(client, contact.username, "correct-horse-battery", address="10.9.9.9")
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()


def test_the_lock_names_the_time_it_ends_in_utc_since_no_account_is_known(client, contact, account, settings):
    settings.TIME_ZONE = "America/New_York"
    for _ in range(10):
        attempt(client, contact.username)
    before = datetime.now(UTC) + timedelta(minutes=15)
    response = attempt(client, contact.username, "correct-horse-battery")
    after = datetime.now(UTC) + timedelta(minutes=15)
    page = response.content.decode()
    assert response.status_code == 429
    assert any(f"You can sign in again after {moment:%H:%M} UTC." in page for moment in (before, after)), page


def test_ten_failures_lock_the_client_address_for_any_user_id(client, contact, account):
    for number in range(10):
        attempt(client, f"guess-{number}")
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 429
    assert attempt(client, contact.username, "correct-horse-battery", address="10.0.0.2").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, contact, account):
    for _ in range(10):
        attempt(client, contact.username)
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 302


def test_nine_failures_do_not_lock(client, contact, account):
    for _ in range(9):
        attempt(client, contact.username)
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 302


@pytest.fixture
def attacker(db):
    """Someone with an account of their own, who knows their own password."""
    from accounts.tests.factories import CompanyAccountFactory, UserFactory

    user = UserFactory(username="mallory-billing", email="mallory@attacker.example")
    CompanyAccountFactory(billing_contact=user)
    return user


def test_signing_in_with_ones_own_user_id_keeps_the_failures_against_another(client, contact, account, attacker):
    for _ in range(9):
        attempt(client, contact.username, address="10.6.6.6")
    assert attempt(client, attacker.username, "correct-horse-battery", address="10.6.6.6").status_code == 302
    client.logout()
    # The victim's count still stands at 9: one more guess, from anywhere, locks the User ID.
    attempt(client, contact.username, address="10.7.7.7")
    assert attempt(client, contact.username, "correct-horse-battery", address="10.8.8.8").status_code == 429


def test_signing_in_keeps_the_failures_counted_against_the_address(client, contact, account, attacker):
    for number in range(9):
        attempt(client, f"guess-{number}", address="10.6.6.6")
    assert attempt(client, attacker.username, "correct-horse-battery", address="10.6.6.6").status_code == 302
    client.logout()
    attempt(client, "guess-9", address="10.6.6.6")
    assert attempt(client, attacker.username, "correct-horse-battery", address="10.6.6.6").status_code == 429


def test_signing_in_at_the_admin_keeps_the_failures_against_another(client, contact, account):
    from accounts.tests.factories import StaffFactory

    staff = StaffFactory(username="insider")
    for _ in range(9):
        attempt(client, contact.username, address="10.6.6.6")
    response = client.post(
        reverse("admin:login"),
        {"username": staff.username, "password": "correct-horse-battery"},
        REMOTE_ADDR="10.6.6.6",
    )
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)
    client.logout()
    attempt(client, contact.username, address="10.7.7.7")
    assert attempt(client, contact.username, "correct-horse-battery", address="10.8.8.8").status_code == 429


def test_a_sign_in_forgives_the_failures_of_its_own_user_id(client, contact, account):
    for _ in range(9):
        attempt(client, contact.username, address="10.0.0.1")
    assert attempt(client, contact.username, "correct-horse-battery", address="10.0.0.2").status_code == 302
    client.logout()
    for _ in range(9):
        attempt(client, contact.username, address="10.0.0.3")
    assert attempt(client, contact.username, "correct-horse-battery", address="10.0.0.4").status_code == 302


def test_every_spelling_that_signs_in_counts_towards_the_same_lock(client, contact, account):
    spellings = ["ＡＣＭＥ-billing", "acme-billing", " Acme-Billing ", "ACME-BİLLING".replace("İ", "I")]
    for number in range(10):
        attempt(client, spellings[number % len(spellings)], address=f"10.0.0.{number}")
    assert attempt(client, "ＡＣＭＥ-ＢＩＬＬＩＮＧ", "correct-horse-battery", address="10.9.9.9").status_code == 429
    assert attempt(client, contact.username, "correct-horse-battery", address="10.9.9.8").status_code == 429


def test_a_look_alike_letter_is_another_user_id_and_does_not_sign_in(client, contact, account):
    # A dotless ı (U+0131): folded to "i" by PostgreSQL's case-insensitive match, but not by the portal.
    response = attempt(client, "acme-bılling", "correct-horse-battery")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get().username == "acme-bılling"


# Behind proxies: the client address is read from X-Forwarded-For as configured by AXES_PROXY_COUNT.


def settings_for(monkeypatch, **environment) -> dict:
    """The portal's settings module evaluated with these environment variables."""
    import runpy

    from django.conf import settings

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(settings.BASE_DIR / "billing_portal" / "settings.py"))


@pytest.fixture
def behind_one_proxy(settings, monkeypatch):
    computed = settings_for(monkeypatch, AXES_PROXY_COUNT="1")
    for name in (
        "AXES_IPWARE_META_PRECEDENCE_ORDER",
        "AXES_IPWARE_PROXY_ORDER",
        "AXES_IPWARE_PROXY_COUNT",
        "IPWARE_STRICT",
    ):
        setattr(settings, name, computed[name])


BALANCER = "10.0.0.1"


def through_balancer(client, user_id, password="wrong", *, client_address, forged=None):
    # The balancer appends the address it received the request from to whatever the client sent.
    header = f"{forged}, {client_address}" if forged else client_address
    return client.post(
        reverse("accounts:login"),
        {"username": user_id, "password": password},
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR=header,
    )


def test_behind_a_proxy_one_clients_failures_do_not_lock_out_the_others(client, contact, account, behind_one_proxy):
    for number in range(10):
        through_balancer(client, f"guess-{number}", client_address="192.0.2.10")
    assert (
        through_balancer(client, contact.username, "correct-horse-battery", client_address="192.0.2.10").status_code
        == 429
    )
    assert (
        through_balancer(client, contact.username, "correct-horse-battery", client_address="198.51.100.20").status_code
        == 302
    )


def test_behind_a_proxy_a_forged_header_locks_only_the_sender(client, contact, account, behind_one_proxy):
    victim_address = "198.51.100.20"
    for number in range(10):
        through_balancer(client, f"guess-{number}", client_address="192.0.2.10", forged=victim_address)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.10"}
    assert (
        through_balancer(client, contact.username, "correct-horse-battery", client_address=victim_address).status_code
        == 302
    )


def test_without_a_proxy_a_forged_header_changes_nothing(client, contact, account):
    for number in range(10):
        client.post(
            reverse("accounts:login"),
            {"username": f"guess-{number}", "password": "wrong"},
            REMOTE_ADDR="192.0.2.10",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.10"}
    assert attempt(client, contact.username, "correct-horse-battery", address="192.0.2.10").status_code == 429


def test_the_proxy_count_setting_reads_the_right_hop(monkeypatch):
    assert settings_for(monkeypatch, AXES_PROXY_COUNT="0")["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("REMOTE_ADDR",)
    two = settings_for(monkeypatch, AXES_PROXY_COUNT="2")
    assert (two["AXES_IPWARE_META_PRECEDENCE_ORDER"], two["AXES_IPWARE_PROXY_COUNT"]) == (("HTTP_X_FORWARDED_FOR",), 1)
