from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.forms import NoEchoTextInput, PaymentMethodForm, PhoneField
from accounts.models import CompanyAccount, PaymentMethod
from billing_portal.forms import PortalFormHelper, reject_control_characters

from .models import TermsVersion


class DeclineForm(forms.Form):
    comment = forms.CharField(
        label=_("Comments"),
        max_length=2000,
        strip=True,
        help_text=_("Tell your account manager why you decline this quote (up to 2,000 characters)."),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()


class AddToCartForm(forms.Form):
    quotes = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": _("Select at least one open quote.")}
    )

    def __init__(self, *args, quote_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quotes"].choices = [(pk, pk) for pk in quote_ids]


class AdminContactForm(forms.Form):
    admin_name = forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    admin_email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    admin_phone = PhoneField(label=_("Phone (optional)"), required=False)

    def __init__(self, *args, account: CompanyAccount, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()
        for field in self.fields.values():
            field.validators.append(reject_control_characters)
        self.fields["admin_phone"].region = str(account.country)


class CheckoutPaymentForm(PaymentMethodForm):
    """The Billing page's payment form, where the card or bank account on file may be kept as it is."""

    # Typed again after an error elsewhere on the page (a postal code) only if they were valid themselves.
    SECRET_FIELDS = ("card_number", "card_cvc", "bank_account_number", "sepa_iban")

    @sensitive_variables()
    def _typed(self, *names: str) -> bool:
        # The raw input: a number that failed validation was still typed, and means "a new card".
        return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in names)

    @sensitive_variables()
    def keeps_current(self) -> bool:
        method = self.cleaned_data.get("payment_method")
        if method != self.account.payment_method:
            return False
        if method == PaymentMethod.CARD:
            return bool(self.account.card_last4) and not self._typed("card_number", "card_cvc")
        if method == PaymentMethod.DIRECT_DEBIT:
            return bool(self.account.bank_account_last4) and not self._typed("bank_account_number")
        if method == PaymentMethod.SEPA_DEBIT:
            return self.account.sepa_mandate is not None and not self._typed("sepa_iban")
        return True

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name in self.SECRET_FIELDS:
            field = self.fields[name]
            if name not in self.errors and isinstance(field.widget, NoEchoTextInput):
                field.widget = forms.TextInput(attrs=field.widget.attrs)

    def clean(self):
        if self.keeps_current():
            return self.cleaned_data
        return super().clean()

    @sensitive_variables()
    def account_values(self) -> dict:
        return {} if self.keeps_current() else super().account_values()

    @sensitive_variables()
    def mandate_details(self):
        return None if self.keeps_current() else super().mandate_details()


class SaveAsDefaultForm(forms.Form):
    """Whether the payment method and address of a service order also become the account's own."""

    ORDER_ONLY = "order"
    DEFAULT = "default"

    save_as = forms.ChoiceField(
        label=_("Payment method and billing address"),
        choices=[(ORDER_ONLY, _("Use for this order only")), (DEFAULT, _("Also save as the account's default"))],
        widget=forms.RadioSelect,
        initial=ORDER_ONLY,
    )

    @property
    def as_default(self) -> bool:
        return self.cleaned_data["save_as"] == self.DEFAULT


class PlaceOrderForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    # The version the page showed: the service refuses it once newer terms are published.
    terms = forms.ModelChoiceField(
        queryset=TermsVersion.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("The terms could not be shown. Review the service order and place it again."),
            "invalid_choice": _("The terms could not be shown. Review the service order and place it again."),
        },
    )
    accept = forms.BooleanField(
        label=_("I accept the terms and place a binding order"),
        error_messages={"required": _("Tick the box to accept the terms before you place the order.")},
    )

    def __init__(self, *args, order, **kwargs):
        self.order = order
        super().__init__(*args, **kwargs)
        self.fields["terms"].queryset = TermsVersion.objects.published()

    def clean_token(self):
        if self.cleaned_data["token"] != self.order.token:
            raise ValidationError(
                _("This form is out of date. Review the service order and place it again."), code="token"
            )
        return self.cleaned_data["token"]
