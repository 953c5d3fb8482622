"""seed_demo builds the Xinyang demo and is idempotent for a seed."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from pairing.models import Branch, Region

pytestmark = pytest.mark.django_db

XINYANG_COUNTIES = {"浉河区", "平桥区", "罗山县", "光山县", "新县", "商城县", "固始县", "潢川县", "淮滨县", "息县"}


def counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("pairing", "accounts", "activities", "volunteers", "reports")
        for model in apps.get_app_config(app).get_models()
    }


def test_branches_zero_gives_region_tree_and_staff_only():
    out = io.StringIO()
    call_command("seed_demo", "--branches", "0", stdout=out)
    assert set(Region.objects.filter(level="county").values_list("name", flat=True)) == XINYANG_COUNTIES
    assert Region.objects.filter(level="township").count() > 100
    assert not Branch.objects.exists()
    assert set(User.objects.values_list("username", flat=True)) == {
        "staff_city",
        "staff_county",
        "leader_city",
        "leader_county",
    }
    assert "staff_city" in out.getvalue() and "Twinning@2024" in out.getvalue()


def test_seed_demo_is_idempotent_and_gives_every_role_a_login():
    call_command("seed_demo", "--branches", "300", "--seed", "7", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", "--branches", "300", "--seed", "7", stdout=io.StringIO())
    assert counts() == first
    assert Branch.objects.count() == 300
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["secretary_helper"] == "secretary" and roles["community_secretary"] == "community_secretary"
    assert roles["member"] == "member" and roles["leader_county"] == "leader"
    for user in User.objects.filter(username__in=["secretary_helper", "community_secretary", "member"]):
        assert user.branch_id is not None
    kinds = set(Branch.objects.values_list("kind", flat=True))
    assert {"organ", "village", "community"} <= kinds
    assert Branch.objects.filter(level="city").count() == 60
