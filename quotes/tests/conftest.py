import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.tests.factories import StaffFactory

from .factories import SubmittedQuoteFactory


@pytest.fixture
def staff(db):
    """A member of Corporate Account Services: the group's permissions are what is tested, not a superuser's."""
    user = StaffFactory(username="cas-staff")
    user.groups.add(Group.objects.get(name="Corporate Account Services"))
    return user


@pytest.fixture
def open_quote(account):
    return SubmittedQuoteFactory(account=account)


@pytest.fixture
def other_quote(other_account):
    return SubmittedQuoteFactory(account=other_account)


@pytest.fixture
def now():
    return timezone.now()
