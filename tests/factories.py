from __future__ import annotations

import factory

from accounts.models import Agency, Membership, School, User
from tests.helpers import PASSWORD


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@agency.example")
    full_name = factory.Faker("name")
    job_title = "Officer"
    password = factory.django.Password(PASSWORD)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n} Police Department")
    slug = factory.Sequence(lambda n: f"agency-{n}")
    jurisdiction = "City of Example"
    state = "OH"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"School {n}")
    district = "Example Unified"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    access = Membership.Access.VIEWER
