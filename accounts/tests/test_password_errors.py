"""What is wrong with a new password is said at the new password; a mismatch at its confirmation."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.forms import InvitationPasswordForm, NotifyingSetPasswordForm

pytestmark = pytest.mark.django_db


def forms_for(user):
    return {
        "reset": lambda data: NotifyingSetPasswordForm(user, data),
        "invitation": lambda data: InvitationPasswordForm(user, data, token="token"),
    }


@pytest.mark.parametrize("kind", ["reset", "invitation"])
def test_a_password_against_the_policy_is_an_error_of_the_new_password(contact, kind):
    form = forms_for(contact)[kind]({"new_password1": "12345", "new_password2": "12345"})
    assert not form.is_valid()
    assert form.errors["new_password1"] == [
        "This password is too short. It must contain at least 10 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert "new_password2" not in form.errors


@pytest.mark.parametrize("kind", ["reset", "invitation"])
def test_a_mismatch_stays_an_error_of_the_confirmation(contact, kind):
    form = forms_for(contact)[kind]({"new_password1": "a-much-better-secret-42", "new_password2": "a-different-one"})
    assert not form.is_valid()
    assert form.errors == {"new_password2": ["The two password fields didn’t match."]}


@pytest.mark.parametrize("kind", ["reset", "invitation"])
def test_a_weak_mismatched_password_gets_both_errors_each_at_its_field(contact, kind):
    form = forms_for(contact)[kind]({"new_password1": "12345", "new_password2": "123456"})
    assert not form.is_valid()
    assert "This password is too short. It must contain at least 10 characters." in form.errors["new_password1"]
    assert form.errors["new_password2"] == ["The two password fields didn’t match."]


def test_the_reset_page_shows_the_policy_error_under_the_new_password(client, contact, account):
    uid = urlsafe_base64_encode(force_bytes(contact.pk))
    link = reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(contact)])
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    page = response.content.decode()
    first = re.search(r'<div id="div_id_new_password1".*?(?=<div id="div_id_new_password2")', page, re.S).group(0)
    assert "This password is too short" in first
    assert 'aria-invalid="true"' in first
    second = page[page.index('<div id="div_id_new_password2"') :]
    assert "This password is too short" not in second.split("</form>")[0]
    contact.refresh_from_db()
    assert not contact.check_password("short")
