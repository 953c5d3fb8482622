"""Load-test accounts: one branch secretary per active pairing (up to LOADTEST_SECRETARIES, default 200).

Run with ``python manage.py shell -c "exec(open('loadtest/prepare.py').read())"`` on a seeded
database (seed_demo or bench --build-only). Idempotent: accounts are named ``lt_sec_<pairing id>``.
Writes the accounts and the places the other users browse to LOADTEST_PLAN (default
loadtest/plan.json) for the locustfile. Demo password for all: Twinning@2024.
"""

import base64
import json
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from accounts.demo import DEMO_PASSWORD
from pairing import scope
from pairing.choices import PairingStatus, Role
from pairing.models import Branch, Pairing
from pairing.selectors.registry import counties_visible

User = get_user_model()
limit = int(os.environ.get("LOADTEST_SECRETARIES", "200"))
pairings = list(
    Pairing.objects.filter(status=PairingStatus.ACTIVE, campaign__is_current=True)
    .order_by("pk")
    .values_list("pk", "helper_id")[:limit]
)
existing = set(User.objects.filter(username__startswith="lt_sec_").values_list("username", flat=True))
password = make_password(DEMO_PASSWORD)
User.objects.bulk_create(
    [
        User(
            username=f"lt_sec_{pk}",
            password=password,
            role=Role.SECRETARY,
            branch_id=helper_id,
            display_name=f"压测书记{pk}",
        )
        for pk, helper_id in pairings
        if f"lt_sec_{pk}" not in existing
    ]
)
branches = Branch.objects.count()


def cursor(code: str) -> str:
    """A deep page of the branch list is a keyset page: ?after=<cursor>, the cursor being the sort values
    of the row before the page (URL-safe base64 JSON, as twinning's keyset pagination writes it)."""
    return base64.urlsafe_b64encode(json.dumps([code], ensure_ascii=False).encode()).rstrip(b"=").decode()


def browsing(username: str) -> dict:
    """What one staff or leader account browses: counties and branches inside its own scope, so that
    every page the load test asks for is a real page, not a cheaper 404."""
    user = User.objects.get(username=username)
    visible = Branch.objects.filter(scope.branch_q(user)).order_by("?")
    return {
        "counties": list(counties_visible(user=user).values_list("pk", flat=True)),
        "branch_ids": list(visible.values_list("pk", flat=True)[:500]),
        "branch_cursors": [cursor(code) for code in visible.values_list("code", flat=True)[:500]],
    }


staff, leaders = ["staff_city", "staff_county"], ["leader_city", "leader_county"]
plan = {
    "password": DEMO_PASSWORD,
    "secretaries": [{"username": f"lt_sec_{pk}", "pairing": pk} for pk, _ in pairings],
    "staff": staff,
    "leaders": leaders,
    "scopes": {username: browsing(username) for username in staff + leaders},
}
path = os.environ.get("LOADTEST_PLAN", "loadtest/plan.json")
with open(path, "w") as out:
    json.dump(plan, out)
print(f"load-test plan: {len(plan['secretaries'])} secretaries, {branches} branches -> {path}")
