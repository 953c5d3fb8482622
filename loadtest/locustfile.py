"""Month-end load on Twinning: secretaries record theme days with a photo, staff browse the
lists, leaders read the dashboard. Run by ``loadtest/run.sh`` (``make loadtest``); the plan
(accounts, pairings, ids to browse) comes from loadtest/prepare.py. Traffic goes to --host only
(127.0.0.1 in run.sh).
"""

from __future__ import annotations

import datetime
import io
import itertools
import json
import os
import random
import re
import threading

from locust import FastHttpUser, between, task
from urllib3 import encode_multipart_formdata

with open(os.environ.get("LOADTEST_PLAN", os.path.join(os.path.dirname(__file__), "plan.json"))) as source:
    PLAN = json.load(source)

_lock = threading.Lock()
_secretaries = itertools.cycle(PLAN["secretaries"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _photo() -> bytes:
    """A small real JPEG (about 60 KB, 800×600), made once."""
    from PIL import Image

    image = Image.effect_noise((800, 600), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


PHOTO = _photo()


class Portal(FastHttpUser):
    """geventhttpclient (FastHttpUser) rather than python-requests: Locust shares the server's two
    cores, and requests would spend several times more of them per request than the server does."""

    abstract = True
    wait_time = between(*(float(x) for x in os.environ.get("LOADTEST_WAIT", "0.2,1.0").split(",")))
    username = ""

    def on_start(self):
        response = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(response.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Success redirects away from the login page; a form shown again means it was refused.
            if response.status_code != 302 or "/accounts/login/" in response.headers.get("Location", ""):
                response.failure(f"login failed for {self.username}: {response.status_code}")

    def page(self, url: str, name: str):
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")


class Secretary(Portal):
    """Records a theme day with a photo for their pairing, then looks at it and the activities."""

    weight = 6

    def on_start(self):
        with _lock:
            account = next(_secretaries)
        self.username, self.pairing = account["username"], account["pairing"]
        super().on_start()

    @task(3)
    def record_theme_day(self):
        url = f"/activities/pairings/{self.pairing}/theme-days/new/"
        form = self.client.get(url, name="theme day form")
        token = CSRF.search(form.text)
        data = {
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "held_on": datetime.date.today().isoformat(),
            "theme": "学习贯彻党的二十大精神",
            "place": "村党群服务中心",
            "helper_attendance": "5",
            "partner_attendance": "6",
            "summary": "月末主题党日（压测）",
        }
        fields = [*data.items(), ("photos", (f"photo{random.randrange(10**6)}.jpg", PHOTO, "image/jpeg"))]
        body, content_type = encode_multipart_formdata(fields)
        with self.client.post(
            url,
            data=body,
            headers={"Referer": self.host + url, "Content-Type": content_type},
            name="theme day record (photo)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Success redirects to the theme day's page; a form shown again means it was refused.
            location = response.headers.get("Location", "")
            if response.status_code != 302 or "/activities/theme-days/" not in location:
                response.failure(f"not recorded: {response.status_code}")
                return
        self.page(location, "theme day page")

    @task(2)
    def activities(self):
        self.page("/activities/", "activities index")

    @task(1)
    def my_pairing(self):
        self.page("/pairings/mine/", "my pairing")


class Staff(Portal):
    """Organisation department staff browsing the branch list, details, pairings and the grid."""

    weight = 3

    def on_start(self):
        self.username = random.choice(PLAN["staff"])
        self.scope = PLAN["scopes"][self.username]
        super().on_start()

    @task(3)
    def branch_list(self):
        self.page("/branches/", "branch list")

    @task(2)
    def branch_list_filtered(self):
        self.page(f"/branches/?county={random.choice(self.scope['counties'])}&optimised=no", "branch list (filtered)")

    @task(1)
    def branch_list_deep(self):
        self.page(f"/branches/?after={random.choice(self.scope['branch_cursors'])}", "branch list (deep page)")

    @task(3)
    def branch_detail(self):
        self.page(f"/branches/{random.choice(self.scope['branch_ids'])}/", "branch detail")

    @task(2)
    def pairings(self):
        self.page("/pairings/", "pairing list")

    @task(1)
    def compliance(self):
        self.page(f"/activities/compliance/?county={random.choice(self.scope['counties'])}", "compliance grid")


class Leader(Portal):
    """Leaders on the dashboard and a county's drill-down."""

    weight = 1

    def on_start(self):
        self.username = random.choice(PLAN["leaders"])
        self.scope = PLAN["scopes"][self.username]
        super().on_start()

    @task(2)
    def dashboard(self):
        self.page("/reports/", "dashboard")

    @task(1)
    def drill_down(self):
        self.page(f"/reports/?region={random.choice(self.scope['counties'])}", "dashboard (county)")
