"""Coverage page: 结对覆盖率 truncated to two decimals, helpers engaged, uncovered list, 一帮二, scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pairing.choices import Grade
from pairing.selectors.coverage import coverage_rate
from pairing.services import pairings as services
from tests.factories import PASSWORD, BranchFactory, UserFactory

from .pairing_fixtures import central_community, graded, helper, make_world, partner, staff

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    "paired,total,shown",
    [
        (2, 3, "66.66%"),
        (1, 3, "33.33%"),
        (9999, 10000, "99.99%"),
        (19999, 20000, "99.99%"),
        (3, 3, "100.00%"),
        (0, 7, "0.00%"),
        (0, 0, "—"),
    ],
)
def test_coverage_rate_is_truncated_never_rounded_up(paired, total, shown):
    assert coverage_rate(paired, total) == shown


@pytest.fixture
def paired_branches():
    paired_branches = make_world(partner_grades=(Grade.WEAK, Grade.MEDIUM, Grade.GOOD))
    user = staff(paired_branches.county)
    services.pairing_create(helper=paired_branches.helpers[0], partner=paired_branches.partners[0], acting_user=user)
    services.pairing_create(
        helper=paired_branches.helpers[0], partner=paired_branches.partners[1], acting_user=user, allow_second=True
    )
    return paired_branches


def test_coverage_page_for_county_staff(client, paired_branches):
    response = login(client, staff(paired_branches.county)).get(reverse("pairing:coverage"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "66.66%" in page and "66.67%" not in page
    assert paired_branches.partners[2].name in page and f"?partner={paired_branches.partners[2].pk}" in page
    assert '<span data-testid="uncovered-count">1</span>' in page  # 3 villages, 2 paired
    assert paired_branches.partners[1].name in page  # listed under 一帮二
    rows = response.context["coverage"]["rows"]
    assert [(r.label, r.partners, r.paired, r.helpers, r.helpers_engaged) for r in rows] == [("商城县", 3, 2, 2, 1)]


def test_city_staff_see_every_county_and_the_city_level(client, paired_branches):
    community = central_community(paired_branches.city, paired_branches.other_county)
    city_helper = graded(BranchFactory(city=paired_branches.city), Grade.GOOD)
    user = staff(paired_branches.city)
    services.pairing_create(helper=city_helper, partner=community, acting_user=user)
    response = login(client, user).get(reverse("pairing:coverage"))
    cov = response.context["coverage"]
    assert {r.label for r in cov["rows"]} == {"商城县", "光山县"}
    assert (cov["city"].partners, cov["city"].paired, cov["city"].rate) == (1, 1, "100.00%")
    assert (cov["total"].partners, cov["total"].paired, cov["total"].rate) == (4, 3, "75.00%")


def test_leaders_read_coverage_without_pair_buttons(client, paired_branches):
    response = login(client, UserFactory.leader(region=paired_branches.county)).get(reverse("pairing:coverage"))
    assert response.status_code == 200 and "?partner=" not in response.content.decode()


def test_coverage_rejects_outsider_and_secretaries(client, paired_branches):
    page = login(client, staff(paired_branches.other_county)).get(reverse("pairing:coverage")).content.decode()
    assert paired_branches.partners[2].name not in page
    client.logout()
    secretary = UserFactory.secretary(branch=paired_branches.helpers[0])
    assert login(client, secretary).get(reverse("pairing:coverage")).status_code == 403


def test_coverage_query_count_is_fixed(client, paired_branches, django_assert_max_num_queries):
    user = staff(paired_branches.county)
    login(client, user)
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("pairing:coverage"))
    for _ in range(20):
        services.pairing_create(
            helper=helper(paired_branches.county), partner=partner(paired_branches.county), acting_user=user
        )
        partner(paired_branches.county)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("pairing:coverage"))
    assert len(response.context["uncovered"]) == 21


def _live(user):
    """The figures counted branch by branch in Python, the definition the grouped queries must match."""
    from pairing import scope
    from pairing.choices import HELPER_KINDS, PARTNER_KINDS, BranchKind, UnitLevel
    from pairing.models import Branch, Pairing

    active = Pairing.objects.filter(status="active", campaign__is_current=True)
    paired, engaged = set(active.values_list("partner_id", flat=True)), set(active.values_list("helper_id", flat=True))
    branches = list(Branch.objects.filter(scope.branch_q(user)).select_related("region"))
    partners = [b for b in branches if b.kind in PARTNER_KINDS]
    helpers = [b for b in branches if b.kind in HELPER_KINDS]
    central = [b for b in partners if b.kind == BranchKind.COMMUNITY and b.region and b.region.is_central_city]
    city_helpers = [b for b in helpers if b.level == UnitLevel.CITY]
    counties = {}
    for b in branches:
        if b.county_id is not None:
            row = counties.setdefault(b.county_id, [0, 0, 0, 0])
            if b.kind in PARTNER_KINDS:
                row[0] += 1
                row[1] += b.pk in paired
            elif b.kind in HELPER_KINDS and b.level == UnitLevel.COUNTY:
                row[2] += 1
                row[3] += b.pk in engaged
    return {
        "rows": counties,
        "city": (
            len(central),
            sum(b.pk in paired for b in central),
            len(city_helpers),
            sum(b.pk in engaged for b in city_helpers),
        ),
        "total": (
            len(partners),
            sum(b.pk in paired for b in partners),
            len(helpers),
            sum(b.pk in engaged for b in helpers),
        ),
    }


def test_grouped_coverage_equals_the_branch_by_branch_count(paired_branches):
    from pairing.selectors import coverage as coverage_selectors

    community = central_community(paired_branches.city, paired_branches.other_county)
    city_helper = graded(BranchFactory(city=paired_branches.city), Grade.GOOD)
    user = staff(paired_branches.city)
    services.pairing_create(helper=city_helper, partner=community, acting_user=user)
    partner(paired_branches.other_county)
    helper(paired_branches.other_county, Grade.GOOD)
    for viewer in (user, staff(paired_branches.county), staff(paired_branches.other_county)):
        got, want = coverage_selectors.coverage(user=viewer), _live(viewer)
        assert {r.region.pk: [r.partners, r.paired, r.helpers, r.helpers_engaged] for r in got["rows"]} == want["rows"]
        t = got["total"]
        assert (t.partners, t.paired, t.helpers, t.helpers_engaged) == want["total"]
        if got["city"] is not None:
            c = got["city"]
            assert (c.partners, c.paired, c.helpers, c.helpers_engaged) == want["city"]
        else:
            assert want["city"][2] == 0


def test_coverage_page_query_count_does_not_grow_with_branches(client, paired_branches, django_assert_max_num_queries):
    user = staff(paired_branches.city)
    login(client, user)
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("pairing:coverage")).status_code == 200
    for _ in range(5):
        partner(paired_branches.county)
        partner(paired_branches.other_county)
        helper(paired_branches.county, Grade.GOOD)
    services.pairing_create(helper=paired_branches.helpers[1], partner=paired_branches.partners[2], acting_user=user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("pairing:coverage")).status_code == 200


def test_coverage_figures_are_reused_until_a_pairing_or_branch_changes(
    client, paired_branches, django_assert_max_num_queries
):
    """The page keeps its figures per region scope and recomputes when the pairing or branch history
    moves: a pairing dissolved or a partner branch added shows at once."""
    from pairing.models import Pairing

    user = staff(paired_branches.county)
    login(client, user)
    url = reverse("pairing:coverage")

    def county_row():
        return [(r.partners, r.paired) for r in client.get(url).context["coverage"]["rows"]]

    assert county_row() == [(3, 2)]
    with django_assert_max_num_queries(6):  # session, user, region, the stamp: no recount
        assert county_row() == [(3, 2)]
    services.pairing_dissolve(
        pairing=Pairing.objects.get(partner=paired_branches.partners[0]), acting_user=user, reason="测试"
    )
    assert county_row() == [(3, 1)]
    partner(paired_branches.county, Grade.WEAK)
    assert county_row() == [(4, 1)]
