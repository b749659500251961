"""Random and hostile input to the quote forms and URL parameters: a form error or a 404, never a 500."""

import pytest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from post_office.models import Email

from accounts.models import AuditEntry
from quotes.models import Quote, ServiceOrder
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

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
            "-1",
            "0",
            "1e309",
            "NaN",
            "<script>alert(1)</script>",
            "x" * 5000,
            "2025-02-31",
            "00000000-0000-0000-0000-000000000000",
            "card",
            "direct_debit",
            "4111111111111111",
        ]
    ),
)
FUZZ = hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def writes():
    return (
        Quote.objects.filter(state="submitted").count(),
        ServiceOrder.objects.count(),
        AuditEntry.objects.count(),
        Email.objects.count(),
    )


def test_the_decline_form(contact_client, account):
    quote = SubmittedQuoteFactory(account=account)

    @FUZZ
    @given(values)
    def check(comment):
        before = writes()
        response = contact_client.post(
            reverse("quotes:decline", args=[quote.pk]), {"comment": comment.replace("\x00", "")}
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert writes() == before
            assert "<script>alert(1)</script>" not in response.content.decode()
        else:  # declined once: reopen it for the next example
            Quote.objects.filter(pk=quote.pk).update(
                state="submitted", decline_comment="", decided_at=None, decided_by=None
            )

    check()


def test_the_checkout_form(contact_client, account):
    quote = SubmittedQuoteFactory(account=account)
    fields = [
        "admin-admin_name",
        "admin-admin_email",
        "admin-admin_phone",
        "payment_method",
        "card_holder",
        "card_number",
        "card_exp_month",
        "card_exp_year",
        "card_cvc",
        "bank_account_holder",
        "bank_routing_number",
        "bank_account_number",
        "address-address_line1",
        "address-postal_code",
        "address-city",
    ]

    @FUZZ
    @given(st.fixed_dictionaries(dict.fromkeys(fields, values)))
    def check(data):
        orders = ServiceOrder.objects.count()
        response = contact_client.post(
            reverse("quotes:checkout", args=[quote.pk]), {k: v.replace("\x00", "") for k, v in data.items()}
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert ServiceOrder.objects.count() == orders

    check()


def test_the_cart_and_place_forms(contact_client, account):
    SubmittedQuoteFactory(account=account)

    @FUZZ
    @given(st.lists(values, max_size=5), values)
    def check(quote_ids, next_url):
        response = contact_client.post(
            reverse("quotes:cart_add"),
            {"quotes": [v.replace("\x00", "") for v in quote_ids], "next": next_url.replace("\x00", "")},
        )
        assert response.status_code == 302
        assert url_has_allowed_host_and_scheme(response.url, allowed_hosts={"testserver"})

    check()


def test_url_parameters(contact_client, account):
    @FUZZ
    @given(values, values)
    def check(state, page):
        response = contact_client.get(
            reverse("quotes:list"), {"state": state.replace("\x00", ""), "page": page.replace("\x00", "")}
        )
        assert response.status_code == 200

    check()


@pytest.mark.parametrize(
    "path",
    [
        "/quotes/99999999999999999999/",
        "/quotes/-1/",
        "/invoices/99999999999999999999/",
        "/invoices/0/pdf/",
        "/quotes/orders/9223372036854775808/",
        "/billing/recipients/99999999999999999999/remove/",
    ],
)
def test_an_out_of_range_id_is_404(contact_client, account, path):
    answers = {contact_client.get(path).status_code, contact_client.post(path).status_code}
    assert 404 in answers and answers <= {404, 405}
