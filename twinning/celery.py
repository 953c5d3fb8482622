"""The Celery app. Tasks run eagerly in-process unless REDIS_URL is set (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twinning.settings")

app = Celery("twinning")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The project package is not an installed app, so its own tasks module is named explicitly.
app.autodiscover_tasks(["twinning"])
