"""The roster service (支部名册), being split by sub-domain; ``preview`` holds it all for now."""

from .preview import (
    ERROR_LIMIT,
    UPLOAD_TTL,
    roster_import,
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
