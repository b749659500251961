"""Random and hostile input to every billing form: a form error, never a 500, never a partial write."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import AuditEntry, CompanyAccount

pytestmark = pytest.mark.django_db

FORMS = {
    "accounts:payment_method": [
        "payment_method",
        "card_holder",
        "card_number",
        "card_exp_month",
        "card_exp_year",
        "card_cvc",
        "bank_account_holder",
        "bank_routing_number",
        "bank_account_number",
    ],
    "accounts:address": ["address_line1", "address_line2", "postal_code", "city", "region"],
    "accounts:phone": ["phone"],
    "accounts:purchase_order": ["po_number", "po_expires_on"],
    "accounts:recipient_add": ["email"],
    "accounts:request_new": ["kind", "message"],
    "accounts:billing_contact": ["first_name", "last_name", "email", "user_id"],
}

FOREIGN_DIGITS = [
    "４１１１ １１１１ １１１１ １１１１",
    "٤١١١١١١١١١١١١١١١",
    "⁴¹¹¹¹¹¹¹¹¹¹¹¹¹¹¹",
    "٧٣٧",
    "０２１０００２１",
    "+1 ４１５ ５５５ ０１２３",
    "١٠٠٠١",
    "²²²¹⁰⁰⁰⁰⁰⁰⁰⁰⁰⁰⁰⁹",
]

values = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Zs", "So"]), max_size=50),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    # Digits other than ASCII 0-9: str.isdigit() and int() take them, the database's checks do not.
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=20),
    st.sampled_from(FOREIGN_DIGITS),
    st.sampled_from(
        [
            "",
            "2025-02-31",
            "0000-00-00",
            "-1",
            "1e309",
            "NaN",
            "<script>alert(1)</script>",
            "x" * 5000,
            "card",
            "direct_debit",
            "4111111111111111",
            "'; DROP TABLE accounts_user; --",
        ]
    ),
)


def snapshot(account):
    return (
        CompanyAccount.objects.filter(pk=account.pk).values().get(),
        account.invoice_recipients.count(),
        account.requests.count(),
    )


@pytest.mark.slow
@pytest.mark.parametrize("url_name", FORMS)
def test_random_input_gets_a_form_error_or_a_whole_save(contact_client, account, url_name):
    fields = FORMS[url_name]

    @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries(dict.fromkeys(fields, values)))
    def check(data):
        before = snapshot(account)
        audits = AuditEntry.objects.count()
        response = contact_client.post(reverse(url_name), {k: v.replace("\x00", "") for k, v in data.items()})
        assert response.status_code in (200, 302)
        if response.status_code == 200:  # refused: nothing written
            assert snapshot(account) == before
            assert AuditEntry.objects.count() == audits
            assert "<script>alert(1)</script>" not in response.content.decode()

    check()


def test_a_null_byte_is_a_form_error(contact_client, account):
    response = contact_client.post(
        reverse("accounts:address"), {"address_line1": "a\x00b", "postal_code": "1", "city": "x"}
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_a_megabyte_field_is_refused(contact_client, account):
    response = contact_client.post(reverse("accounts:request_new"), {"kind": "other", "message": "x" * 1_000_000})
    assert response.status_code == 200
    assert not account.requests.exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "url_name, fields", [("accounts:login", ["username", "password"]), ("accounts:password_reset", ["user_id"])]
)
def test_random_input_to_sign_in_and_reset_is_never_a_500(client, contact, account, url_name, fields):
    @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries(dict.fromkeys(fields, values)))
    def check(data):
        response = client.post(reverse(url_name), {k: v.replace("\x00", "") for k, v in data.items()})
        assert response.status_code in (200, 302, 429)  # 429: the random failures reached the lock-out
        assert "_auth_user_id" not in client.session

    check()


VALID = {
    "accounts:payment_method": [
        {
            "payment_method": "card",
            "card_holder": "Carla",
            "card_number": "4111 1111 1111 1111",
            "card_exp_month": "12",
            "card_exp_year": "2031",
            "card_cvc": "737",
        },
        {
            "payment_method": "direct_debit",
            "bank_account_holder": "Customer Inc.",
            "bank_routing_number": "021000021",
            "bank_account_number": "000123456789",
        },
    ],
    "accounts:phone": [{"phone": "+1 415 555 0123"}],
    "accounts:address": [{"address_line1": "2 Broad Street", "postal_code": "10004", "city": "New York"}],
}
NUMERIC_FIELDS = {"card_number", "card_cvc", "bank_routing_number", "bank_account_number", "phone", "postal_code"}
CASES = [
    (url_name, form, field)
    for url_name, forms in VALID.items()
    for form in forms
    for field in form
    if field in NUMERIC_FIELDS
]
other_digit = st.characters(categories=["Nd", "No"], exclude_characters="0123456789")


@pytest.mark.slow
def test_any_other_digit_in_any_numeric_field_is_a_form_error(contact_client, account):
    @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(CASES), st.integers(min_value=0), other_digit)
    def check(case, position, digit):
        url_name, form, field = case
        value = form[field]
        positions = [index for index, char in enumerate(value) if char.isdigit()]
        index = positions[position % len(positions)]
        before = snapshot(account)
        response = contact_client.post(reverse(url_name), {**form, field: value[:index] + digit + value[index + 1 :]})
        assert response.status_code == 200
        assert snapshot(account) == before

    check()
