"""Celery tasks of the pairing app: thin wrappers around pairing services."""

from __future__ import annotations

from celery import shared_task
from django.utils import translation

from .services.roster import roster_import_run


@shared_task(name="pairing.import_roster", acks_late=True, reject_on_worker_lost=True)
def import_roster(run_id: int, language: str | None = None) -> str:
    """Import a confirmed roster upload; the outcome is recorded on the run (messages in the uploader's language).

    Not retried: a failed import has written nothing and says why, and the uploader decides
    what to do. A worker lost mid-way redelivers it (acks_late) and the run starts over.
    """
    with translation.override(language):
        return roster_import_run(run_id=run_id).status
