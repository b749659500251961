"""Form pieces shared by the portal's forms; see billing_portal.validators for why digits are ASCII only."""

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.translation import gettext_lazy as _

from .validators import NOT_ASCII_DIGITS, ascii_digits


class PortalFormHelper(FormHelper):
    """Fields only: each template writes its own <form> tag and CSRF token around them."""

    form_tag = False
    disable_csrf = True


class FormRenderer(BaseRenderer):
    """Django's own form and widget templates in their Jinja2 versions, which ship with Django: a select's
    options and an input's attributes render with less work than in the Django template language (the
    checkout's 18 fields: 2.2 of 12.2 ms, docs/performance.md). A template Django has no Jinja2 version
    of (the admin's widgets) renders as before."""

    def __init__(self) -> None:
        self.jinja2, self.django = Jinja2(), DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)


def reject_control_characters(value: str) -> None:
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError(_("Remove the control characters."), code="control")


class DigitsField(forms.CharField):
    """A number typed as ASCII digits, spaces and dashes allowed between them; cleans to the digits alone.

    `min_length` and `max_length` count digits. Give `error_messages["invalid"]` to say what the
    number is when its length is wrong; a character other than 0-9 always gets NOT_ASCII_DIGITS.
    """

    default_error_messages = {"digits": NOT_ASCII_DIGITS}
    # Room for separators in what is typed; anything longer is refused before it is looked at.
    typed_length_allowance = 2

    def __init__(self, *, min_length: int | None = None, max_length: int | None = None, **kwargs):
        self.min_digits, self.max_digits = min_length, max_length
        typed = max_length * self.typed_length_allowance if max_length else None
        super().__init__(max_length=typed, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(self.error_messages.get("invalid", NOT_ASCII_DIGITS), code="invalid")
        digits = ascii_digits(value)
        if digits is None:
            raise ValidationError(self.error_messages["digits"], code="digits")
        return digits

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        if (self.min_digits is not None and len(value) < self.min_digits) or (
            self.max_digits is not None and len(value) > self.max_digits
        ):
            raise ValidationError(self.error_messages.get("invalid", NOT_ASCII_DIGITS), code="invalid")
