"""What the check and the write of a roster import share: who may import into which city, the
city's reference data read once, and a row planned for the write."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.translation import gettext as _

from ... import scope
from ...choices import RegionLevel
from ...models import Region, Unit
from ...roster.imports import RosterRow
from ...selectors import registry as registry_selectors

BATCH = 1000  # rows read, checked and written per statement
BRANCH_FIELDS = (
    "name",
    "kind",
    "level",
    "county_id",
    "township_id",
    "unit_id",
    "secretary_name",
    "secretary_phone",
    "member_count",
)


def import_scope(acting_user, city: Region | None) -> tuple[Region, Region | None]:
    """The city rows belong to and, for county staff, the one county they may import into."""
    if acting_user is None:
        if city is None:
            raise ValueError("a system import needs a city")
        return city, None
    if not scope.can_manage(acting_user):
        raise PermissionDenied(_("只有组织部工作人员可以导入支部名册。"))
    region = acting_user.region
    if region is None:  # a superuser without a region: the city given, or the only one
        cities = list(Region.objects.filter(level=RegionLevel.CITY)[:2]) if city is None else [city]
        if len(cities) != 1:
            raise PermissionDenied(_("请先为您的账号设置管辖区域。"))
        return cities[0], None
    if region.level == RegionLevel.CITY:
        return region, None
    if region.level == RegionLevel.COUNTY:
        return region.parent, region
    raise PermissionDenied(_("只有市、县区组织部工作人员可以导入支部名册。"))


class ImportContext:
    """Reference data of the city, read once: counties, townships, units, the current campaign;
    and the townships and units the rows name that the write must create first."""

    def __init__(self, *, city: Region, county_scope: Region | None, acting_user):
        self.city = city
        self.county_scope = county_scope
        self.acting_user = acting_user
        self.year = registry_selectors.current_year()
        self.campaign = registry_selectors.current_optimisation_campaign(city_id=city.pk)
        counties = Region.objects.filter(parent=city, level=RegionLevel.COUNTY)
        self.counties = {r.name: r for r in counties}
        self.region_names = {r.pk: r.name for r in counties}
        self.townships: dict[tuple[int, str], Region] = {}
        for region in Region.objects.filter(parent__in=counties):
            self.townships[(region.parent_id, region.name)] = region
            self.region_names[region.pk] = region.name
        self.units = {u.name: u for u in Unit.objects.filter(city=city)}
        self.unit_names = {u.pk: u.name for u in self.units.values()}
        self.new_townships: dict[tuple[int, str], None] = {}
        self.new_units: dict[str, tuple[str, int | None]] = {}
        in_scope = Q(city_id=city.pk)
        if acting_user is not None:
            in_scope &= scope.branch_q(acting_user)
        self.in_scope = ExpressionWrapper(in_scope, output_field=BooleanField())


@dataclass(slots=True)
class PlannedRow:
    """A row that needs writing, resolved against the database."""

    data: RosterRow
    branch_id: int | None
    county_id: int | None
    township_key: tuple[int, str] | None
    fields: tuple[str, ...]  # the branch fields an update changes (attnames), empty when none
    grade_change: bool
    optimise: bool | None  # True: add a record, False: remove records, None: nothing


def branch_values(data: RosterRow, context: ImportContext, county_id, township_key) -> dict:
    """The branch fields a row asks for; ids of townships/units still to be created are None."""
    township = context.townships.get(township_key) if township_key else None
    unit = context.units.get(data.unit) if data.unit else None
    return {
        "name": data.name,
        "kind": data.kind,
        "level": data.level,
        "county_id": county_id,
        "township_id": township.pk if township else None,
        "unit_id": unit.pk if unit else None,
        "secretary_name": data.secretary_name,
        "secretary_phone": data.secretary_phone,
        "member_count": data.member_count,
    }
