import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory

from .factories import SubmittedQuoteFactory


@pytest.fixture
def staff(db):
    return StaffFactory(username="cas-staff", is_superuser=True)


@pytest.fixture
def open_quote(account):
    return SubmittedQuoteFactory(account=account)


@pytest.fixture
def other_quote(other_account):
    return SubmittedQuoteFactory(account=other_account)


@pytest.fixture
def now():
    return timezone.now()
