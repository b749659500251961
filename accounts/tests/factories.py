import factory
from factory.django import DjangoModelFactory

from accounts.models import CompanyAccount, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"contact-{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@customer.example")
    first_name = "Carla"
    last_name = "Contact"
    password = factory.django.Password("correct-horse-battery")


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager-{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@portal.example")
    first_name = "Max"
    last_name = "Manager"
    is_staff = True


class CompanyAccountFactory(DjangoModelFactory):
    class Meta:
        model = CompanyAccount

    number = factory.Sequence(lambda n: f"{200000 + n}")
    name = factory.Sequence(lambda n: f"Customer {n} Inc.")
    account_manager = factory.SubFactory(StaffFactory)
    billing_contact = factory.SubFactory(UserFactory)
    address_line1 = "1 Main Street"
    postal_code = "10001"
    city = "New York"
    region = "NY"
    country = "US"
    phone = "+12125550100"
