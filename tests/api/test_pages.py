"""List pages: ``next`` to the end and ``previous`` back give every row once, in the list's order;
``?page_size=`` is bounded; a cursor that is not one of ours is 404."""

from __future__ import annotations

import pytest

from pairing.models import Branch, BranchGrade
from tests.factories import BranchFactory, GradeFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db


def walk(client, url: str, link: str) -> list[list]:
    """The pages from ``url`` on, following ``link`` ("next" or "previous") until it is null."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert list(body) == ["next", "previous", "results"]
        pages.append(body)
        url = body[link]
    return pages


def test_grades_page_newest_first_and_walk_back(world):
    for _ in range(6):
        GradeFactory(branch=BranchFactory(county=world.mine.county))
    client = client_for(world.mine.staff)
    expected = sorted(BranchGrade.objects.filter(branch__county=world.mine.county).values_list("pk", flat=True))[::-1]

    forward = walk(client, "/api/v1/grades/?page_size=3", "next")

    assert [row["id"] for page in forward for row in page["results"]] == expected
    assert forward[0]["previous"] is None and all(page["previous"] for page in forward[1:])
    assert all(len(page["results"]) == 3 for page in forward[:-1])
    backward = walk(client, forward[-1]["previous"], "previous")
    assert [page["results"] for page in backward[::-1]] == [page["results"] for page in forward[:-1]]
    assert all("page_size=3" in page["next"] for page in backward)


def test_branches_page_in_code_order(world):
    BranchFactory.create_batch(5, county=world.mine.county)
    client = client_for(world.mine.staff)

    pages = walk(client, "/api/v1/branches/?page_size=2", "next")

    codes = [row["code"] for page in pages for row in page["results"]]
    assert codes == sorted(Branch.objects.filter(county=world.mine.county).values_list("code", flat=True))


def test_page_size_is_bounded_and_a_foreign_cursor_is_404(world):
    client = client_for(world.mine.staff)
    url = "/api/v1/branches/"
    everything = len(client.get(url).json()["results"])

    assert len(client.get(f"{url}?page_size=1").json()["results"]) == 1
    assert len(client.get(f"{url}?page_size=0").json()["results"]) == everything  # the default, 50
    assert len(client.get(f"{url}?page_size=x").json()["results"]) == everything
    for cursor in ("cD00ODY=", "after.notacursor", "sideways.WyJDMDAwMSJd", "after.WzEsMl0"):
        assert client.get(f"{url}?cursor={cursor}").status_code == 404, cursor
