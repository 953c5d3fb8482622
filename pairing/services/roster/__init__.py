"""The roster service (支部名册): the import that checks a roster and writes it all or nothing, and
the run that carries it out after the preview.

This package holds the service (database reads and writes, scope, audit); the file format, with
no database access, is ``pairing.roster`` (the column table, the safe reader, the writers).

- ``preview.py``: check and classify every row (error, create, update with its changes,
  unchanged); its ``RosterResult`` is the preview page;
- ``commit.py``: ``roster_import``, the one entry point (preview, command, run), and the write;
- ``runs.py``: the upload kept between preview and confirmation, and the ``RosterImport`` run a
  Celery task imports;
- ``context.py``: what the check and the write share (the import's scope and the city's
  reference data, a planned row).
"""

from .commit import roster_import
from .runs import (
    ERROR_LIMIT,
    UPLOAD_TTL,
    roster_import_run,
    roster_import_start,
    roster_upload_discard,
    roster_upload_path,
    roster_upload_store,
    roster_uploads_purge,
)

__all__ = [
    "ERROR_LIMIT",
    "UPLOAD_TTL",
    "roster_import",
    "roster_import_run",
    "roster_import_start",
    "roster_upload_discard",
    "roster_upload_path",
    "roster_upload_store",
    "roster_uploads_purge",
]
