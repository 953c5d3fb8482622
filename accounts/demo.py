"""Demo accounts, one per role, each with its scope. Password for all: ``DEMO_PASSWORD``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, When

from pairing.choices import BranchKind, PairingStatus, RegionLevel, Role, UnitLevel
from pairing.demo import pair_demo_secretaries
from pairing.models import Branch, Pairing, Region

from .models import User

DEMO_PASSWORD = "Twinning@2024"
DEMO_COUNTY = "商城县"
DEMO_USERNAMES = (
    "staff_city",
    "staff_county",
    "leader_city",
    "leader_county",
    "secretary_helper",
    "secretary_partner",
    "community_secretary",
    "member",
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    scope: str


def _city() -> Region:
    return Region.objects.get(level=RegionLevel.CITY, parent=None, name="信阳市")


def _upsert(username: str, *, display_name: str, role: str, **scope) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username)
        user.set_password(DEMO_PASSWORD)
    user.display_name = display_name
    user.role = role
    for name in ("region", "branch", "unit"):
        setattr(user, name, scope.get(name))
    user.save()
    return user


def _demo_partner(helper: Branch | None) -> Branch | None:
    """The village the draw gave the demo helper; the county's first village if it drew none."""
    drawn = (
        Pairing.objects.filter(helper=helper, status=PairingStatus.ACTIVE, slot=1).select_related("partner").first()
        if helper
        else None
    )
    if drawn:
        return drawn.partner
    return Branch.objects.filter(county__name=DEMO_COUNTY, kind=BranchKind.VILLAGE).order_by("code").first()


def demo_branches() -> dict[str, Branch | None]:
    """The branches the demo secretaries and member belong to (stable for a given seed)."""
    county_branches = Branch.objects.filter(county__name=DEMO_COUNTY).order_by("code")
    helper = county_branches.filter(kind=BranchKind.ORGAN).first()
    return {
        "secretary_helper": helper,
        "secretary_partner": _demo_partner(helper),
        # A central-city subdistrict community where there is one; any community otherwise.
        "community_secretary": Branch.objects.filter(kind=BranchKind.COMMUNITY)
        .order_by(
            Case(When(county__name="平桥区", township__name__endswith="街道", then=0), default=1),
            "-region__name",
            "code",
        )
        .first(),
        "member": Branch.objects.filter(level=UnitLevel.CITY, unit__name="市委办公室").order_by("code").first(),
    }


@transaction.atomic
def seed(*, seed: int, branches: int, stdout) -> None:
    city = _city()
    county = Region.objects.get(parent=city, name=DEMO_COUNTY)
    _upsert("staff_city", display_name="李组工", role=Role.STAFF, region=city)
    _upsert("staff_county", display_name="陈组工", role=Role.STAFF, region=county)
    _upsert("leader_city", display_name="王领导", role=Role.LEADER, region=city)
    _upsert("leader_county", display_name="赵领导", role=Role.LEADER, region=county)
    if branches <= 0:
        return
    branches_by_user = demo_branches()
    if branches_by_user["secretary_helper"] and branches_by_user["secretary_partner"]:
        # The demo pair: secretary_partner's village is secretary_helper's partner after the draw.
        pair_demo_secretaries(
            helper=branches_by_user["secretary_helper"], partner=branches_by_user["secretary_partner"]
        )
    for username, branch in branches_by_user.items():
        if branch is None:
            continue
        role = {
            "secretary_helper": Role.SECRETARY,
            "secretary_partner": Role.SECRETARY,
            "community_secretary": Role.COMMUNITY_SECRETARY,
            "member": Role.MEMBER,
        }[username]
        name = branch.secretary_name if role != Role.MEMBER else "周党员"
        _upsert(username, display_name=name, role=role, branch=branch, unit=branch.unit)
    stdout.write(f"  demo accounts: {len(logins())}")


def logins() -> list[DemoLogin]:
    """The demo logins that exist, for printing after ``seed_demo``."""
    found = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES).select_related("region", "branch")}
    rows = []
    for username in DEMO_USERNAMES:
        user = found.get(username)
        if user is None:
            continue
        scope = user.region.name if user.region_id else (user.branch.name if user.branch_id else "")
        rows.append(DemoLogin(username, user.label, user.get_role_display(), scope))
    return rows


def print_logins(stdout) -> None:
    stdout.write("")
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for row in logins():
        stdout.write(f"  {row.username:<20} {row.role:<10} {row.display_name:<6} {row.scope}")
