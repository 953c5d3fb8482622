"""factory_boy factories shared by every test package.

A typical world: ``city = RegionFactory(city=True)``, ``county = RegionFactory(parent=city)``,
``BranchFactory(county=county)`` (county-level, organ) or ``PartnerBranchFactory(county=county)``
(a village branch with its township and village), and users with ``UserFactory.staff(region=county)``,
``UserFactory.secretary(branch=...)``.
"""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from accounts.models import User
from pairing.choices import BranchKind, Grade, PairingMethod, RegionLevel, Role, UnitLevel
from pairing.models import (
    Branch,
    BranchGrade,
    OptimisationCampaign,
    OptimisationRecord,
    Pairing,
    PairingCampaign,
    Region,
    Unit,
)

PASSWORD = "Test-passw0rd!"

CHILD_LEVEL = {
    RegionLevel.CITY: RegionLevel.COUNTY,
    RegionLevel.COUNTY: RegionLevel.TOWNSHIP,
    RegionLevel.TOWNSHIP: RegionLevel.VILLAGE,
    RegionLevel.VILLAGE: RegionLevel.GRID,
    RegionLevel.COMMUNITY: RegionLevel.GRID,
}


class RegionFactory(factory.django.DjangoModelFactory):
    """A region; with ``parent`` given, one level below it. Without a parent, a city."""

    class Meta:
        model = Region

    class Params:
        city = factory.Trait(parent=None, level=RegionLevel.CITY)

    name = factory.Sequence(lambda n: f"区域{n}")
    parent = None
    level = factory.LazyAttribute(lambda o: CHILD_LEVEL[o.parent.level] if o.parent else RegionLevel.CITY)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"单位{n}")
    county = None
    level = factory.LazyAttribute(lambda o: UnitLevel.COUNTY if o.county else UnitLevel.CITY)
    city = factory.LazyAttribute(lambda o: o.county.parent if o.county else RegionFactory(city=True))


class BranchFactory(factory.django.DjangoModelFactory):
    """A helper-side (organ) branch; county-level when ``county`` is given, 市直 otherwise."""

    class Meta:
        model = Branch

    code = factory.Sequence(lambda n: f"T{n:08d}")
    name = factory.Sequence(lambda n: f"测试机关第{n}党支部")
    kind = BranchKind.ORGAN
    county = None
    level = factory.LazyAttribute(lambda o: UnitLevel.COUNTY if o.county else UnitLevel.CITY)
    city = factory.LazyAttribute(lambda o: o.county.parent if o.county else RegionFactory(city=True))
    township = None
    region = None
    unit = None
    secretary_name = "张书记"
    secretary_phone = factory.Sequence(lambda n: f"138{n:08d}")
    member_count = 20


class PartnerBranchFactory(BranchFactory):
    """A village branch (the helped side) with its own township and village region."""

    name = factory.Sequence(lambda n: f"测试村{n}党支部")
    kind = BranchKind.VILLAGE
    county = factory.SubFactory(RegionFactory, parent=factory.SubFactory(RegionFactory, city=True))
    township = factory.LazyAttribute(lambda o: RegionFactory(parent=o.county))
    region = factory.LazyAttribute(lambda o: RegionFactory(parent=o.township))


class GradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BranchGrade

    branch = factory.SubFactory(BranchFactory)
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    grade = Grade.MEDIUM


class OptimisationCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptimisationCampaign
        django_get_or_create = ("city", "is_current")  # one current campaign per city

    name = factory.Sequence(lambda n: f"优化批次{n}")
    city = factory.SubFactory(RegionFactory, city=True)
    starts_on = datetime.date(2022, 1, 1)
    is_current = True


class OptimisationRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptimisationRecord

    branch = factory.SubFactory(BranchFactory)
    campaign = factory.SubFactory(OptimisationCampaignFactory, city=factory.SelfAttribute("..branch.city"))
    action = "reelection"
    done_on = datetime.date(2022, 3, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Through the service, as the app writes a record: the branch's optimised flag follows."""
        from pairing.services.registry import optimisation_record_save

        return optimisation_record_save(record=model_class(*args, **kwargs), acting_user=None)


class PairingCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PairingCampaign
        django_get_or_create = ("city", "is_current")  # one current campaign per city

    name = factory.Sequence(lambda n: f"2022 支部联支部{n}")
    city = factory.SubFactory(RegionFactory, city=True)
    year = 2022
    starts_on = datetime.date(2022, 1, 1)
    is_current = True


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    partner = factory.SubFactory(PartnerBranchFactory)
    helper = factory.SubFactory(BranchFactory, county=factory.SelfAttribute("..partner.county"))
    campaign = factory.SubFactory(PairingCampaignFactory, city=factory.SelfAttribute("..partner.city"))
    slot = 1
    method = PairingMethod.MANUAL
    started_on = datetime.date(2022, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    """A user; use the role constructors: ``UserFactory.staff(region=...)`` etc."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @classmethod
    def staff(cls, *, region: Region, **kwargs) -> User:
        return cls(role=Role.STAFF, region=region, **kwargs)

    @classmethod
    def leader(cls, *, region: Region, **kwargs) -> User:
        return cls(role=Role.LEADER, region=region, **kwargs)

    @classmethod
    def secretary(cls, *, branch: Branch, **kwargs) -> User:
        return cls(role=Role.SECRETARY, branch=branch, **kwargs)

    @classmethod
    def community_secretary(cls, *, branch: Branch, **kwargs) -> User:
        return cls(role=Role.COMMUNITY_SECRETARY, branch=branch, **kwargs)

    @classmethod
    def member(cls, *, branch: Branch | None = None, unit: Unit | None = None, **kwargs) -> User:
        return cls(role=Role.MEMBER, branch=branch, unit=unit, **kwargs)
