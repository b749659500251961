"""Form fields render as crispy-bootstrap5 writes them, only faster: the portal's own `bootstrap5/field.html`
gives the same HTML as the package's for every kind of field in every layout, and widgets render through
Django's Jinja2 templates, with the admin's own widget templates still found."""

import itertools
from pathlib import Path

import crispy_bootstrap5
from django import forms
from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import Context, engines
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test.html import parse_html

from billing_portal.forms import FormRenderer

CRISPY_FIELD = Path(crispy_bootstrap5.__file__).parent / "templates" / "bootstrap5" / "field.html"


class EveryKindForm(forms.Form):
    """One field of each kind the template tells apart, required or not, with and without help text."""

    text = forms.CharField(label="Name", help_text="As on the card.")
    optional = forms.CharField(label="Line 2", required=False)
    unlabelled = forms.CharField(label="", required=False)
    email = forms.EmailField(label="E-mail")
    password = forms.CharField(label="Password", widget=forms.PasswordInput)
    textarea = forms.CharField(label="Comments", widget=forms.Textarea, required=False)
    select = forms.ChoiceField(label="Month", choices=[("", "--"), ("1", "01"), ("2", "02")])
    radio = forms.ChoiceField(
        label="Payment method", choices=[("card", "Card"), ("sepa", "SEPA")], widget=forms.RadioSelect
    )
    multiple = forms.MultipleChoiceField(
        label="Products", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, required=False
    )
    checkbox = forms.BooleanField(label="I accept the mandate", help_text="Required for SEPA.")
    optional_checkbox = forms.BooleanField(label="Save as default", required=False)
    upload = forms.FileField(label="Purchase order", required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    when = forms.SplitDateTimeField(label="Start", required=False)  # a fieldset outside the choice fields


LAYOUTS = [
    dict(
        zip(
            ("form_show_labels", "form_show_errors", "form_class", "label_class", "field_class", "tag"),
            values,
            strict=True,
        )
    )
    for values in itertools.product(
        (True, False), (True, False), ("", "form-horizontal"), ("", "col-lg-2"), ("", "col-lg-8"), (None, "td")
    )
]
INLINE_TEXTS = [
    {"help_text_inline": help, "error_text_inline": error} for help in (False, True) for error in (False, True)
]


UNBOUND: dict | None = None
WITH_ERRORS = {"text": "", "email": "not-an-address", "select": "9", "radio": "cash", "multiple": ["z"], "when_0": "x"}


def test_the_portal_field_template_is_the_one_crispy_forms_finds():
    template = engines["django"].engine.get_template("bootstrap5/field.html")

    assert Path(template.origin.name) == Path(settings.BASE_DIR) / "templates" / "bootstrap5" / "field.html"


def test_every_field_renders_as_crispy_bootstrap5_renders_it_in_every_layout():
    engine = engines["django"].engine
    ours = engine.get_template("bootstrap5/field.html")
    theirs = engine.from_string(CRISPY_FIELD.read_text())

    def render(template, data, name, layout, inline) -> str:
        # A form of its own for each render: crispy's field tag sets classes on the widget it renders.
        context = {
            "field": EveryKindForm(data=data)[name],
            "bootstrap_checkbox_offsets": ["col-lg-offset-2"] if layout["label_class"] else [],
            "wrapper_class": "extra" if layout["tag"] else "",
            **layout,
            **inline,
        }
        return template.render(Context(context))

    compared = 0
    for data, name, layout, inline in itertools.product(
        (UNBOUND, WITH_ERRORS), EveryKindForm.base_fields, LAYOUTS, INLINE_TEXTS
    ):
        expected = render(theirs, data, name, layout, inline)
        assert parse_html(render(ours, data, name, layout, inline)) == parse_html(expected), (name, layout, inline)
        compared += 1

    assert compared == 2 * len(EveryKindForm.base_fields) * len(LAYOUTS) * len(INLINE_TEXTS)


def test_widgets_render_through_djangos_jinja2_templates_and_the_admins_through_its_own():
    renderer = get_default_renderer()

    assert isinstance(renderer, FormRenderer)
    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
    assert isinstance(renderer.get_template("admin/widgets/foreign_key_raw_id.html"), DjangoTemplate)


def test_a_widget_renders_the_same_html_in_both_engines():
    form = EveryKindForm(
        data={**WITH_ERRORS, "select": "2", "radio": "sepa", "multiple": ["a"], "checkbox": "on", "text": "<b>&"}
    )
    for name in form.fields:
        jinja2 = form[name].as_widget()
        form.renderer = FormRenderer().django
        django = form[name].as_widget()
        form.renderer = FormRenderer()

        assert parse_html(jinja2) == parse_html(django), name
