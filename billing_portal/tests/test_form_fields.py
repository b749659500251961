"""Every field of the portal's forms that asks for a name, an address, a phone, a card, a bank account or a
password names its purpose for autofill (WCAG 1.3.5), and every required field is marked as required."""

import inspect
import re
from types import SimpleNamespace

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse

import accounts.forms
import quotes.forms

pytestmark = pytest.mark.django_db

PORTAL_FORM_MODULES = [accounts.forms, quotes.forms]

# A field whose name says it holds one of these kinds of data must name its autofill token.
KINDS = re.compile(r"name|e_?mail|phone|tel|address|postal|city|region|country|card|bank|password|user_?id")

# HTML's autofill tokens; "off" where the field is about another person than the one filling it in, or where
# HTML has no token (a bank account).
TOKENS = {
    ("SignInForm", "username"): "username",
    ("SignInForm", "password"): "current-password",
    ("UserIDPasswordResetForm", "user_id"): "username",
    ("PortalSetPasswordForm", "new_password1"): "new-password",
    ("PortalSetPasswordForm", "new_password2"): "new-password",
    ("NotifyingSetPasswordForm", "new_password1"): "new-password",
    ("NotifyingSetPasswordForm", "new_password2"): "new-password",
    ("InvitationPasswordForm", "new_password1"): "new-password",
    ("InvitationPasswordForm", "new_password2"): "new-password",
    **{
        (form, field): token
        for form in ("PaymentMethodForm", "CheckoutPaymentForm")
        for field, token in {
            "card_holder": "cc-name",
            "card_number": "cc-number",
            "card_exp_month": "cc-exp-month",
            "card_exp_year": "cc-exp-year",
            "card_cvc": "cc-csc",
            "bank_account_holder": "off",
            "bank_routing_number": "off",
            "bank_account_number": "off",
        }.items()
    },
    ("AddressForm", "address_line1"): "address-line1",
    ("AddressForm", "address_line2"): "address-line2",
    ("AddressForm", "postal_code"): "postal-code",
    ("AddressForm", "city"): "address-level2",
    ("AddressForm", "region"): "address-level1",
    ("PhoneForm", "phone"): "tel",
    ("InvoiceRecipientForm", "email"): "off",
    ("BillingContactForm", "first_name"): "off",
    ("BillingContactForm", "last_name"): "off",
    ("BillingContactForm", "email"): "off",
    ("BillingContactForm", "user_id"): "off",
    ("EmailChangeForm", "password"): "current-password",
    ("EmailChangeForm", "email"): "email",
    ("AdminContactForm", "admin_name"): "name",
    ("AdminContactForm", "admin_email"): "email",
    ("AdminContactForm", "admin_phone"): "tel",
}


def portal_form_classes():
    for module in PORTAL_FORM_MODULES:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def build(form_class, contact, account):
    """An unbound instance, given whatever its constructor asks for."""
    offered = {
        "account": account,
        "user": contact,
        "token": "token",
        "quote_ids": [],
        "order": SimpleNamespace(token=None),
        "instance": account,
    }
    parameters = {
        name for cls in form_class.__mro__ if "__init__" in vars(cls) for name in inspect.signature(cls).parameters
    }
    return form_class(**{name: value for name, value in offered.items() if name in parameters})


@pytest.mark.parametrize("form_class", list(portal_form_classes()), ids=lambda cls: cls.__name__)
def test_each_personal_field_names_its_autofill_token(form_class, contact, account):
    form = build(form_class, contact, account)
    wrong = {
        name: field.widget.attrs.get("autocomplete")
        for name, field in form.fields.items()
        if KINDS.search(name) and field.widget.attrs.get("autocomplete") != TOKENS.get((form_class.__name__, name))
    }
    assert not wrong, f"{form_class.__name__}: give these fields their autocomplete token in TOKENS and the form"


def test_the_walk_reaches_every_portal_form():
    names = {cls.__name__ for cls in portal_form_classes()}
    assert {"SignInForm", "PaymentMethodForm", "CheckoutPaymentForm", "AddressForm", "AdminContactForm"} <= names
    assert {form for form, _ in TOKENS} <= names


RENDER = Template("{% load crispy_forms_tags %}{% for field in form %}{{ field|as_crispy_field }}{% endfor %}")


@pytest.mark.parametrize("form_class", list(portal_form_classes()), ids=lambda cls: cls.__name__)
def test_each_required_field_is_marked_and_required_for_assistive_technology(form_class, contact, account):
    form = build(form_class, contact, account)
    page = RENDER.render(Context({"form": form}))
    for bound in form:
        if not bound.field.required or bound.is_hidden:
            continue
        # A field's label (after the box of a checkbox), or the legend of a list of choices, carries the visible mark.
        label = re.search(
            rf'<div id="div_id_{bound.html_name}"[^>]*>\s*(?:<fieldset>\s*)?(?:<input[^>]*>\s*)?'
            r"<(label|legend)(.*?)</\1>",
            page,
            re.S,
        )
        assert label and '<span class="asteriskField">*</span>' in label.group(2), bound.name
        controls = re.findall(rf'<(?:input|select|textarea)[^>]*name="{bound.html_name}"[^>]*>', page)
        assert controls and all(re.search(r"\srequired[\s>]", control) for control in controls), bound.name


@pytest.mark.parametrize("form_class", [accounts.forms.PaymentMethodForm, quotes.forms.CheckoutPaymentForm])
def test_the_fields_a_payment_method_requires_say_so(form_class, contact, account):
    form = build(form_class, contact, account)
    for name in form_class.CARD_FIELDS + form_class.BANK_FIELDS:
        assert form.fields[name].widget.attrs.get("aria-required") == "true", name
    assert {name for name, field in form.fields.items() if field.widget.attrs.get("aria-required")} == {
        *form_class.CARD_FIELDS,
        *form_class.BANK_FIELDS,
    }


def test_the_payment_method_groups_say_that_all_their_fields_are_required(contact_client, account):
    page = contact_client.get(reverse("accounts:payment_method")).content.decode()
    for method in ("card", "direct_debit"):
        group = page[page.index(f'data-method="{method}"') :].split("</fieldset>")[0]
        assert "All fields are required for this payment method." in group
