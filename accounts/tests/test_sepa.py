"""SEPA direct debit on the Billing page: the IBAN checked and masked, the mandate recorded and audited."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.audit import AuditAction
from accounts.forms import PaymentMethodForm
from accounts.models import AuditEntry, PaymentMethod, SepaMandate, mask_iban, payment_methods_for

pytestmark = pytest.mark.django_db

IBAN = "DE02 1203 0000 0000 2020 51"  # BIC found from the bank code: BYLADEM1001
IBAN_WITHOUT_BIC = "CH93 0076 2011 6238 5295 7"
SEPA = {
    "payment_method": "sepa_debit",
    "sepa_account_holder": "Kunde GmbH",
    "sepa_iban": IBAN,
    "sepa_mandate_accepted": "on",
}
URL = reverse("accounts:payment_method")


@pytest.fixture
def german(account):
    account.country, account.language, account.currency = "DE", "de", "EUR"
    account.save()
    return account


def _form(account, **data):
    return PaymentMethodForm({**SEPA, **data}, account=account)


class TestMethodsByCountry:
    def test_sepa_is_offered_in_the_sepa_zone_only(self):
        for country in ("DE", "FR", "AT", "NO", "IS", "LI", "CH", "GB"):
            assert PaymentMethod.SEPA_DEBIT in payment_methods_for(country), country
        assert PaymentMethod.SEPA_DEBIT not in payment_methods_for("US")
        assert PaymentMethod.SEPA_DEBIT not in payment_methods_for("AU")

    def test_ach_and_check_are_for_us_accounts_only(self):
        assert {PaymentMethod.DIRECT_DEBIT, PaymentMethod.CHECK} <= set(payment_methods_for("US"))
        assert payment_methods_for("DE") == [PaymentMethod.CARD, PaymentMethod.WIRE, PaymentMethod.SEPA_DEBIT]
        assert payment_methods_for("AU") == [PaymentMethod.CARD, PaymentMethod.WIRE]

    def test_a_method_not_offered_is_refused_with_a_clear_error(self, german):
        for method in ("direct_debit", "check"):
            form = _form(german, payment_method=method)
            assert not form.is_valid()
            assert "not offered for accounts in Germany" in form.errors["payment_method"][0]

    def test_sepa_is_refused_to_a_us_account(self, account):
        form = _form(account)
        assert not form.is_valid()
        assert "not offered for accounts in United States" in form.errors["payment_method"][0]

    def test_the_page_offers_only_the_countrys_methods(self, contact_client, german):
        body = contact_client.get(URL).content.decode()
        assert 'value="sepa_debit"' in body
        assert 'value="direct_debit"' not in body and 'value="check"' not in body


class TestSepaForm:
    def test_it_accepts_an_iban_with_spaces_and_finds_the_bic(self, german):
        form = _form(german)
        assert form.is_valid(), form.errors
        mandate = form.mandate_details()
        assert (mandate.iban_masked, mandate.bic, mandate.holder) == ("DE02…2051", "BYLADEM1001", "Kunde GmbH")

    def test_it_refuses_an_iban_with_a_wrong_check_digit(self, german):
        form = _form(german, sepa_iban="DE03 1203 0000 0000 2020 51")
        assert not form.is_valid()
        assert form.errors["sepa_iban"] == ["Enter a valid IBAN: check its letters and digits."]

    def test_it_refuses_an_iban_from_outside_the_sepa_zone(self, german):
        form = _form(german, sepa_iban="BR15 0000 0000 0000 1093 2840 814P 2")
        assert not form.is_valid()
        assert form.errors["sepa_iban"] == ["This IBAN is not from a country in the SEPA zone."]

    def test_it_asks_for_the_bic_when_the_iban_does_not_give_it(self, german):
        form = _form(german, sepa_iban=IBAN_WITHOUT_BIC)
        assert not form.is_valid()
        assert "sepa_bic" in form.errors
        form = _form(german, sepa_iban=IBAN_WITHOUT_BIC, sepa_bic="ubswchzh80a")
        assert form.is_valid(), form.errors
        assert form.mandate_details().bic == "UBSWCHZH80A"

    def test_it_refuses_an_invalid_bic(self, german):
        form = _form(german, sepa_bic="COBAXXFF")
        assert not form.is_valid()
        assert "sepa_bic" in form.errors

    def test_it_requires_the_mandate_to_be_accepted(self, german):
        form = _form(german, sepa_mandate_accepted="")
        assert not form.is_valid()
        assert form.errors["sepa_mandate_accepted"] == ["Accept the mandate to pay by SEPA direct debit."]

    def test_it_requires_holder_and_iban(self, german):
        form = _form(german, sepa_account_holder="", sepa_iban="")
        assert not form.is_valid()
        assert set(form.errors) == {"sepa_account_holder", "sepa_iban"}

    def test_it_never_writes_the_iban_back_into_the_page(self, contact_client, german):
        response = contact_client.post(URL, {**SEPA, "sepa_mandate_accepted": ""})
        body = response.content.decode()
        assert response.status_code == 200
        assert "Accept the mandate" in body
        assert IBAN not in body and IBAN.replace(" ", "") not in body and "2020" not in body

    def test_the_mask_keeps_country_check_digits_and_last_four(self):
        assert mask_iban("de89 3704 0044 0532 0130 00") == "DE89…3000"


class TestSepaSave:
    def test_it_records_the_mandate_and_audits_it(self, contact_client, contact, german):
        response = contact_client.post(URL, SEPA)
        assert response.status_code == 302
        german.refresh_from_db()
        mandate = german.sepa_mandate
        assert german.payment_method == PaymentMethod.SEPA_DEBIT
        assert mandate.reference == f"M-{german.number}-1"
        assert (mandate.iban_masked, mandate.bic, mandate.holder, mandate.signed_by) == (
            "DE02…2051",
            "BYLADEM1001",
            "Kunde GmbH",
            contact,
        )
        assert mandate.signed_at is not None and mandate.revoked_at is None
        entry = AuditEntry.objects.get(action=AuditAction.SEPA_MANDATE_SIGN)
        assert (entry.account, entry.actor, entry.object_id) == (german, contact, mandate.pk)
        assert entry.changes["reference"] == [None, mandate.reference]
        assert AuditEntry.objects.filter(action=AuditAction.PAYMENT_METHOD_UPDATE, account=german).exists()

    def test_a_new_mandate_revokes_the_one_before(self, contact_client, german):
        contact_client.post(URL, SEPA)
        contact_client.post(URL, {**SEPA, "sepa_iban": "FR14 2004 1010 0505 0001 3M02 606"})
        german.refresh_from_db()
        first, second = SepaMandate.objects.filter(account=german).order_by("pk")
        assert first.revoked_at is not None and second.revoked_at is None
        assert german.sepa_mandate == second
        assert second.reference == f"M-{german.number}-2"
        assert second.iban_masked == "FR14…2606"

    def test_nothing_is_saved_when_the_form_is_refused(self, contact_client, german):
        contact_client.post(URL, {**SEPA, "sepa_iban": "DE00 1234"})
        german.refresh_from_db()
        assert german.payment_method == PaymentMethod.WIRE
        assert not SepaMandate.objects.exists()

    def test_the_billing_page_says_how_the_account_pays(self, contact_client, german):
        contact_client.post(URL, SEPA)
        german.refresh_from_db()
        body = contact_client.get(reverse("accounts:billing")).content.decode()
        assert "SEPA direct debit from IBAN DE02…2051 under mandate " + german.sepa_mandate.reference in body
        assert 'id="sepa-mandate"' in body
        assert "DE98ZZZ09999999999" in body

    def test_the_billing_page_warns_about_a_method_the_country_does_not_offer(self, contact_client, german):
        german.payment_method, german.bank_account_last4 = PaymentMethod.DIRECT_DEBIT, "1234"
        german.save()
        assert 'id="method-not-offered"' in contact_client.get(reverse("accounts:billing")).content.decode()


class TestMandateText:
    def test_the_page_shows_the_standard_wording_with_the_seller(self, contact_client, german, settings):
        german.language = "en"
        german.save()
        body = contact_client.get(URL).content.decode()
        assert (
            f"you authorise (A) {settings.SELLER_NAME} to send instructions to your bank to debit your account" in body
        )
        assert settings.SELLER_SEPA_CREDITOR_ID in body

    def test_it_is_in_the_accounts_document_language(self, contact_client, german):
        body = contact_client.get(URL).content.decode()
        assert 'id="sepa-mandate-text" lang="de"' in body
        with translation.override("de"):
            heading = translation.gettext("SEPA Core direct debit mandate")
        assert heading in body


class TestAdmin:
    def _form(self, rf, account, **changes):
        from django.contrib.admin.sites import site
        from django.forms.models import model_to_dict

        from accounts.tests.factories import StaffFactory

        request = rf.get("/")
        request.user = StaffFactory(is_superuser=True)
        model_admin = site._registry[type(account)]
        form_class = model_admin.get_form(request, account, change=True)
        data = {k: v for k, v in model_to_dict(account).items() if v is not None}
        return form_class({**data, **changes}, instance=account)

    def test_staff_cannot_set_a_method_the_country_does_not_offer(self, rf, german):
        form = self._form(rf, german, payment_method="check")
        assert not form.is_valid()
        assert form.errors["payment_method"] == ["This payment method is not offered in the account's country."]

    def test_staff_cannot_set_sepa_without_a_mandate(self, rf, german):
        form = self._form(rf, german, payment_method="sepa_debit")
        assert not form.is_valid()
        assert "needs a mandate" in str(form.errors["payment_method"])
