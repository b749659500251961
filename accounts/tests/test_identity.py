import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.forms import BillingContactForm
from accounts.identity import canonical_user_id, validate_user_id
from accounts.models import User
from accounts.tests.factories import UserFactory


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("acme-billing", "acme-billing"),
        (" ACME-Billing ", "acme-billing"),
        ("ＡＣＭＥ-billing", "acme-billing"),
        ("Billing@Straße.example", "billing@strasse.example"),
        ("acme-bılling", "acme-bılling"),  # a dotless ı stays a dotless ı: another User ID
    ],
)
def test_the_canonical_form_is_trimmed_nfkc_and_case_folded(typed, canonical):
    assert canonical_user_id(typed) == canonical


@pytest.mark.parametrize(
    "user_id", ["acme-billing", "billing@acme.example", "müller@firma.example", "ACME_billing+1", "борис"]
)
def test_it_accepts_a_user_id_in_one_script(user_id):
    validate_user_id(user_id)


@pytest.mark.parametrize(
    ("user_id", "code"),
    [
        ("аcme-billing", "user_id_mixed_script"),  # Cyrillic а
        ("acme-bιlling", "user_id_mixed_script"),  # Greek ι
        ("ＡＣＭＥ-billing", "user_id_compatibility"),  # fullwidth letters
        ("ﬁnance@acme.example", "user_id_compatibility"),  # the fi ligature
    ],
)
def test_it_refuses_a_user_id_that_passes_for_another(user_id, code):
    with pytest.raises(ValidationError) as error:
        validate_user_id(user_id)
    assert error.value.code == code


@pytest.mark.django_db
def test_the_model_refuses_mixed_scripts_so_every_model_form_does():
    user = User(username="аcme-billing", email="a@acme.example")
    user.set_unusable_password()
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "username" in error.value.message_dict


def test_the_billing_contact_form_refuses_mixed_scripts():
    form = BillingContactForm(
        {"first_name": "Eve", "last_name": "Smith", "email": "eve@acme.example", "user_id": "аcme-billing"}
    )
    assert not form.is_valid()
    assert "different alphabets" in form.errors["user_id"][0]


@pytest.mark.django_db
def test_the_canonical_form_is_stored_and_unique():
    user = UserFactory(username="Billing@Strasse.example")
    assert User.objects.get(pk=user.pk).username_key == "billing@strasse.example"
    twin = User(username="billing@straße.example", email="x@example.com")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert "already exists" in error.value.message_dict["username"][0]
    with pytest.raises(IntegrityError):
        twin.save()


@pytest.mark.django_db
def test_renaming_a_user_updates_the_stored_form():
    user = UserFactory(username="old-name")
    user.username = "New-Name"
    user.save(update_fields=["username"])
    assert User.objects.get(pk=user.pk).username_key == "new-name"
    assert User.objects.get_by_natural_key("NEW-name") == user
