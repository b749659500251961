import datetime
import re

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn
from stdnum.us import rtn

from billing_portal.forms import DigitsField, PortalFormHelper, reject_control_characters
from billing_portal.validators import ascii_digits, reject_non_ascii_digits

from .identity import canonical_user_id, validate_user_id
from .models import AccountRequest, CompanyAccount, PaymentMethod, User, mask_iban
from .ratelimits import client_address, rate_limit_hit
from .services import MandateDetails
from .tax import normalize_vat_id

INVALID_LOGIN = _("Invalid User ID/password")


class SignInForm(auth_forms.AuthenticationForm):
    username = auth_forms.UsernameField(
        label=_("User ID"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {"invalid_login": INVALID_LOGIN, "inactive": INVALID_LOGIN}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    def confirm_login_allowed(self, user):
        # Staff are let through and sent on to the admin; anyone else must hold an active account.
        if not user.is_active or not (user.is_staff or CompanyAccount.objects.for_contact(user).exists()):
            raise ValidationError(INVALID_LOGIN, code="invalid_login")


class UserIDPasswordResetForm(forms.Form):
    user_id = forms.CharField(
        label=_("User ID"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    def get_user(self) -> User | None:
        return (
            User.objects.filter(
                username_key=canonical_user_id(self.cleaned_data["user_id"]), is_active=True, is_staff=False
            )
            .filter(billing_accounts__is_active=True)
            .first()
        )

    def within_limits(self, request) -> bool:
        """Both counters always move, and by the canonical User ID whether it exists or not,
        so that being over a limit reveals nothing about the User ID."""
        period = settings.RATE_LIMIT_PERIOD
        per_user_id = rate_limit_hit(
            scope="password-reset-user-id",
            identity=canonical_user_id(self.cleaned_data["user_id"]),
            limit=settings.PASSWORD_RESET_LIMIT_PER_USER_ID,
            period=period,
        )
        per_address = rate_limit_hit(
            scope="password-reset-address",
            identity=client_address(request),
            limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
            period=period,
        )
        return per_user_id and per_address

    def save(self, request=None, **kwargs):
        # PasswordResetView calls save(request=...); the reset e-mail is queued by the service.
        # Over a limit the page answers as always, and nothing is sent.
        from .services import password_reset_request

        allowed = self.within_limits(request)
        user = self.get_user()
        if user is not None and allowed:
            password_reset_request(user=user)


class PortalSetPasswordForm(auth_forms.SetPasswordForm):
    """Django's SetPasswordForm, with what is wrong with the new password said at the new password.

    Django puts the password policy's errors on the confirmation; only a mismatch belongs there.
    """

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)


class NotifyingSetPasswordForm(PortalSetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    def save(self, commit=True):
        from .services import password_set

        return password_set(user=self.user, password=self.cleaned_data["new_password1"])


class InvitationPasswordForm(PortalSetPasswordForm):
    """Choose a password and, with it, take over the account an invitation names."""

    def __init__(self, user, *args, token: str, **kwargs):
        self.token = token
        super().__init__(user, *args, **kwargs)
        self.helper = PortalFormHelper()

    def save(self, commit=True):
        from .services import billing_contact_invitation_accept

        return billing_contact_invitation_accept(
            token=self.token, user=self.user, password=self.cleaned_data["new_password1"]
        )


class NoEchoTextInput(forms.TextInput):
    """A text input that never writes its value back into the page (card and bank numbers)."""

    def format_value(self, value):
        return None


@sensitive_variables()
def luhn_valid(number: str) -> bool:
    """True for ASCII digits that pass the Luhn check; any other digit is not a card number."""
    return bool(number) and ascii_digits(number) == number and luhn.is_valid(number)


@sensitive_variables()
def card_brand(number: str) -> str:
    """The card's brand, a name no language translates; "" for one not known, which the portal shows as "Card"
    in the reader's language."""
    if not number or ascii_digits(number) != number:
        return ""
    if number.startswith("4"):
        return "Visa"
    # Four ASCII digits compare as strings the way they compare as numbers.
    if number[:2] in {"51", "52", "53", "54", "55"} or len(number) >= 4 and "2221" <= number[:4] <= "2720":
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "American Express"
    if number.startswith(("6011", "65")):
        return "Discover"
    return ""


def _month_choices():
    return [("", "--")] + [(month, f"{month:02d}") for month in range(1, 13)]


def _year_choices():
    year = timezone.localdate().year
    return [("", "----")] + [(y, str(y)) for y in range(year, year + 16)]


class PaymentMethodForm(forms.Form):
    """Only the brand, last four digits, expiry and holder of a card reach `cleaned_data`'s consumers."""

    # Each required when its method is chosen, and then all of them: marked so, for assistive technology too.
    CARD_FIELDS = ("card_holder", "card_number", "card_exp_month", "card_exp_year", "card_cvc")
    BANK_FIELDS = ("bank_account_holder", "bank_routing_number", "bank_account_number")

    payment_method = forms.ChoiceField(
        label=_("Payment method"), choices=PaymentMethod.choices, widget=forms.RadioSelect
    )
    card_holder = forms.CharField(
        label=_("Name on card"),
        max_length=200,
        required=False,
        validators=[reject_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )
    card_number = DigitsField(
        label=_("Card number"),
        min_length=13,
        max_length=19,
        required=False,
        widget=NoEchoTextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter a valid card number.")},
    )
    card_exp_month = forms.TypedChoiceField(
        label=_("Expiry month"),
        choices=_month_choices,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"autocomplete": "cc-exp-month"}),
    )
    card_exp_year = forms.TypedChoiceField(
        label=_("Expiry year"),
        choices=_year_choices,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"autocomplete": "cc-exp-year"}),
    )
    card_cvc = DigitsField(
        label=_("Security code"),
        min_length=3,
        max_length=4,
        required=False,
        widget=NoEchoTextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the 3- or 4-digit security code.")},
    )
    # HTML has no autofill tokens for a bank account: "off" keeps browsers from offering the contact's
    # own name or another number they remember, and from remembering these.
    bank_account_holder = forms.CharField(
        label=_("Account holder"),
        max_length=200,
        required=False,
        validators=[reject_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bank_routing_number = DigitsField(
        label=_("Routing number"),
        min_length=9,
        max_length=9,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the 9-digit routing number.")},
    )
    bank_account_number = DigitsField(
        label=_("Account number"),
        min_length=4,
        max_length=17,
        required=False,
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the account number: 4 to 17 digits.")},
    )
    sepa_account_holder = forms.CharField(
        label=_("Account holder"),
        max_length=200,
        required=False,
        validators=[reject_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    sepa_iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        required=False,
        help_text=_("Spaces are allowed."),
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    sepa_bic = forms.CharField(
        label=_("BIC"),
        max_length=11,
        required=False,
        help_text=_("Leave empty to have it found from the IBAN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    sepa_mandate_accepted = forms.BooleanField(label=_("I accept the SEPA direct debit mandate above."), required=False)

    def __init__(self, *args, account: CompanyAccount, **kwargs):
        self.account = account
        kwargs.setdefault(
            "initial",
            {
                "payment_method": account.payment_method,
                "card_holder": account.card_holder,
                "bank_account_holder": account.bank_account_holder,
                "sepa_account_holder": account.sepa_mandate.holder if account.sepa_mandate else "",
            },
        )
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()
        for name in self.CARD_FIELDS + self.BANK_FIELDS:
            self.fields[name].widget.attrs["aria-required"] = "true"
        offered = account.payment_methods
        method_field = self.fields["payment_method"]
        method_field.choices = [(method.value, method.label) for method in offered]
        method_field.error_messages["invalid_choice"] = _(
            "This payment method is not offered for accounts in %(country)s: choose one of those shown."
        ) % {"country": account.country.name}
        self.offered = {method.value for method in offered}
        # What the mandate text names: who collects, under which creditor identifier.
        self.sepa_creditor_name = settings.SELLER_NAME
        self.sepa_creditor_id = settings.SELLER_SEPA_CREDITOR_ID

    @sensitive_variables()
    def clean_card_number(self):
        number = self.cleaned_data["card_number"]
        if number and not luhn_valid(number):
            raise ValidationError(_("Enter a valid card number."), code="invalid_card")
        return number

    def clean_bank_routing_number(self):
        routing = self.cleaned_data["bank_routing_number"]
        if routing and not rtn.is_valid(routing):
            raise ValidationError(_("This routing number does not exist: check its 9 digits."), code="invalid_routing")
        return routing

    @sensitive_variables()
    def clean_sepa_iban(self):
        value = self.cleaned_data["sepa_iban"]
        if not value:
            return value
        reject_non_ascii_digits(value)
        try:
            iban = IBAN(value)
        except SchwiftyException:
            raise ValidationError(_("Enter a valid IBAN: check its letters and digits."), code="invalid_iban") from None
        if not iban.in_sepa_zone:
            raise ValidationError(_("This IBAN is not from a country in the SEPA zone."), code="not_sepa")
        return iban.compact

    def clean_sepa_bic(self):
        value = self.cleaned_data["sepa_bic"].replace(" ", "").upper()
        if not value:
            return value
        try:
            bic = BIC(value)
        except SchwiftyException:
            raise ValidationError(
                _("Enter a valid BIC of 8 or 11 characters, e.g. COBADEFFXXX."), code="invalid_bic"
            ) from None
        return str(bic)

    @sensitive_variables()
    def _clean_sepa(self, data: dict) -> None:
        for field in ("sepa_account_holder", "sepa_iban"):
            if not data.get(field) and field not in self.errors:
                self.add_error(field, ValidationError(_("This field is required."), code="required"))
        iban = data.get("sepa_iban")
        if iban and not data.get("sepa_bic") and "sepa_bic" not in self.errors:
            derived = IBAN(iban).bic
            if derived is None:
                self.add_error(
                    "sepa_bic",
                    ValidationError(
                        _("Enter the BIC of your bank: it cannot be found from this IBAN."), code="bic_required"
                    ),
                )
            else:
                data["sepa_bic"] = str(derived)
        if not data.get("sepa_mandate_accepted"):
            self.add_error(
                "sepa_mandate_accepted",
                ValidationError(_("Accept the mandate to pay by SEPA direct debit."), code="mandate_required"),
            )

    @sensitive_variables()
    def clean(self):
        data = super().clean()
        method = data.get("payment_method")
        if method == PaymentMethod.SEPA_DEBIT:
            self._clean_sepa(data)
        elif method == PaymentMethod.CARD:
            for field in self.CARD_FIELDS:
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, ValidationError(_("This field is required."), code="required"))
            month, year = data.get("card_exp_month"), data.get("card_exp_year")
            if month and year:
                today = timezone.localdate()
                if (year, month) < (today.year, today.month):
                    self.add_error("card_exp_month", ValidationError(_("This card has expired."), code="expired"))
        elif method == PaymentMethod.DIRECT_DEBIT:
            for field in self.BANK_FIELDS:
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, ValidationError(_("This field is required."), code="required"))
        return data

    @sensitive_variables()
    def account_values(self) -> dict:
        """The values to store on the account: masked, never a full number or a security code."""
        data = self.cleaned_data
        method = data["payment_method"]
        values = {
            "payment_method": method,
            "card_holder": "",
            "card_brand": "",
            "card_last4": "",
            "card_exp_month": None,
            "card_exp_year": None,
            "bank_account_holder": "",
            "bank_routing_number": "",
            "bank_account_last4": "",
        }
        if method == PaymentMethod.CARD:
            number = data["card_number"]
            values.update(
                card_holder=data["card_holder"],
                card_brand=card_brand(number),
                card_last4=number[-4:],
                card_exp_month=data["card_exp_month"],
                card_exp_year=data["card_exp_year"],
            )
        elif method == PaymentMethod.DIRECT_DEBIT:
            values.update(
                bank_account_holder=data["bank_account_holder"],
                bank_routing_number=data["bank_routing_number"],
                bank_account_last4=data["bank_account_number"][-4:],
            )
        return values

    @sensitive_variables()
    def mandate_details(self) -> MandateDetails | None:
        """The SEPA mandate to record with this change, the IBAN masked; None for any other method."""
        data = self.cleaned_data
        if data["payment_method"] != PaymentMethod.SEPA_DEBIT:
            return None
        return MandateDetails(
            holder=data["sepa_account_holder"], iban_masked=mask_iban(data["sepa_iban"]), bic=data["sepa_bic"]
        )


# Countries whose postal codes are digits only: (pattern, an example shown in the error).
NUMERIC_POSTAL_CODES = {
    "US": (r"[0-9]{5}(-[0-9]{4})?", "94105"),
    "DE": (r"[0-9]{5}", "10117"),
    "FR": (r"[0-9]{5}", "75001"),
    "IT": (r"[0-9]{5}", "00184"),
    "ES": (r"[0-9]{5}", "28001"),
    "AT": (r"[0-9]{4}", "1010"),
    "CH": (r"[0-9]{4}", "8001"),
    "BE": (r"[0-9]{4}", "1000"),
    "DK": (r"[0-9]{4}", "1050"),
    "AU": (r"[0-9]{4}", "2000"),
}


class AddressForm(forms.ModelForm):
    class Meta:
        model = CompanyAccount
        fields = ["address_line1", "address_line2", "postal_code", "city", "region"]
        widgets = {
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "region": forms.TextInput(attrs={"autocomplete": "address-level1"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()
        for name, field in self.fields.items():
            field.required = name in ("address_line1", "postal_code", "city")
            field.validators.append(reject_control_characters)

    def clean_postal_code(self):
        postal_code = self.cleaned_data["postal_code"]
        reject_non_ascii_digits(postal_code)
        pattern, example = NUMERIC_POSTAL_CODES.get(str(self.instance.country), (None, None))
        if postal_code and pattern and not re.fullmatch(pattern, postal_code):
            raise ValidationError(
                _("Enter a valid postal code, e.g. %(example)s."),
                code="invalid_postal_code",
                params={"example": example},
            )
        return postal_code


class PhoneField(forms.CharField):
    """A phone number in any usual notation, cleaned to E.164; `region` reads numbers without a country code."""

    default_error_messages = {"invalid_phone": _("Enter a valid phone number, e.g. +1 415 555 0100.")}

    def __init__(self, *, region: str | None = None, **kwargs):
        self.region = region
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values or (self.max_length and len(value) > self.max_length):
            return value  # empty, or too long: the required and max_length checks answer
        # phonenumbers reads ４ or ٤ as 4: refused here, like in every other numeric field.
        reject_non_ascii_digits(value)
        try:
            number = phonenumbers.parse(value, self.region or None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(self.error_messages["invalid_phone"], code="invalid_phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneForm(forms.Form):
    phone = PhoneField(label=_("Phone number"))

    def __init__(self, *args, account: CompanyAccount, **kwargs):
        self.account = account
        kwargs.setdefault("initial", {"phone": account.phone})
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()
        self.fields["phone"].region = str(account.country)


# Fields about another person than the one filling in the form are "off": the browser would offer the
# contact's own name or address for them.
ANOTHER_PERSON = {"autocomplete": "off"}


class InvoiceRecipientForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs=ANOTHER_PERSON))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    def clean_email(self):
        return self.cleaned_data["email"].strip()


class WantsXmlForm(forms.Form):
    """One recipient's choice on the Billing page: a ticked box, or none (sent as no value at all)."""

    wants_xml = forms.BooleanField(label=_("Also send the XML (e-invoice)"), required=False)


class PurchaseOrderForm(forms.ModelForm):
    class Meta:
        model = CompanyAccount
        fields = ["po_number", "po_expires_on"]
        widgets = {"po_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()
        self.fields["po_number"].validators.append(reject_control_characters)

    def clean_po_expires_on(self):
        expires_on = self.cleaned_data["po_expires_on"]
        if expires_on and expires_on < timezone.localdate():
            raise ValidationError(_("The expiry date cannot be in the past."), code="past")
        if expires_on and expires_on > timezone.localdate() + datetime.timedelta(days=365 * 20):
            raise ValidationError(_("Enter an expiry date within the next 20 years."), code="far")
        return expires_on


class VatIdForm(forms.Form):
    vat_id = forms.CharField(
        label=_("VAT ID"),
        max_length=20,
        required=False,
        help_text=_("With the country prefix, e.g. DE123456788. Leave empty if the company has none."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, account, **kwargs):
        kwargs.setdefault("initial", {"vat_id": account.vat_id})
        super().__init__(*args, **kwargs)
        self.account = account
        self.helper = PortalFormHelper()

    def clean_vat_id(self):
        return normalize_vat_id(self.cleaned_data["vat_id"], str(self.account.country))


class RequestForm(forms.ModelForm):
    class Meta:
        model = AccountRequest
        fields = ["kind", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 5, "maxlength": 2000})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()


class BillingContactForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        validators=[reject_control_characters],
        widget=forms.TextInput(attrs=ANOTHER_PERSON),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        validators=[reject_control_characters],
        widget=forms.TextInput(attrs=ANOTHER_PERSON),
    )
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs=ANOTHER_PERSON))
    user_id = forms.RegexField(
        label=_("User ID"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        validators=[validate_user_id],
        widget=forms.TextInput(attrs=ANOTHER_PERSON),
        help_text=_("A user name (acme-billing) or an e-mail address (billing@acme.example)."),
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )

    def __init__(self, *args, current_contact: User | None = None, **kwargs):
        self.current_contact = current_contact
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    def clean_user_id(self):
        # Said before the confirmation page rather than after it; the invitation service checks it again.
        user_id = self.cleaned_data["user_id"]
        if self.current_contact is not None and canonical_user_id(user_id) == self.current_contact.username_key:
            raise ValidationError(_("This person is already the billing contact."), code="current_contact")
        return user_id


class EmailChangeForm(forms.Form):
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    email = forms.EmailField(
        label=_("New e-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    error_messages = {
        "password_incorrect": _("Your password was entered incorrectly. Please enter it again."),
        "same_email": _("This is already your e-mail address."),
    }

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = PortalFormHelper()

    @sensitive_variables("password")
    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return password

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email.lower() == self.user.email.lower():
            raise ValidationError(self.error_messages["same_email"], code="same_email")
        return email
