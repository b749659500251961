"""One phone rule everywhere, phone numbers shown as people write them, countries by name."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import CompanyAccount, User
from quotes.models import AdminContact, ServiceOrder
from quotes.services import service_order_place
from quotes.tests.factories import SubmittedQuoteFactory
from quotes.tests.helpers import draft_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "field"),
    [(User, "phone"), (CompanyAccount, "phone"), (AdminContact, "phone"), (ServiceOrder, "admin_phone")],
)
def test_every_phone_field_refuses_what_is_not_a_phone_number(model, field):
    with pytest.raises(ValidationError) as error:
        model._meta.get_field(field).clean("call me maybe", model())
    assert error.value.messages


@pytest.mark.parametrize(
    ("model", "field"),
    [(User, "phone"), (CompanyAccount, "phone"), (AdminContact, "phone"), (ServiceOrder, "admin_phone")],
)
def test_every_phone_field_refuses_other_digits(model, field):
    with pytest.raises(ValidationError):
        model._meta.get_field(field).clean("+1 415 555 ０１００", model())


def test_the_admin_refuses_an_account_phone_that_is_not_a_number(admin_client, account):
    url = reverse("admin:accounts_companyaccount_change", args=[account.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "phone": "call me maybe",
            "billing_contact": account.billing_contact_id,
            "account_manager": account.account_manager_id,
            "invoice_recipients-TOTAL_FORMS": 0,
            "invoice_recipients-INITIAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-TOTAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-INITIAL_FORMS": 0,
        }
    )
    data.pop("po_expires_on", None)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["phone"]


def test_the_billing_page_shows_the_phone_formatted(contact_client, account):
    account.phone = "+14155550100"
    account.save()
    page = contact_client.get(reverse("accounts:billing")).content.decode()
    assert '<p id="phone">+1 415-555-0100</p>' in page
    account.refresh_from_db()
    assert account.phone.as_e164 == "+14155550100"


def test_the_order_shows_the_admin_phone_formatted(contact_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    order = service_order_place(order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact)
    page = contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk})).content.decode()
    assert "+1 415-555-0123" in page


def test_the_address_page_names_the_country_in_the_pages_language(contact_client, account):
    english = contact_client.get(reverse("accounts:address")).content.decode()
    assert ">United States of America</span>" in english
    assert '<input id="country"' not in english
    german = contact_client.get(reverse("accounts:address"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert ">Vereinigte Staaten von Amerika</span>" in german
