"""Photos and attachments of activities: checked and stored through ``twinning.files``, plus page copies.

Every file of a request is checked (an image re-encoded) before anything is written, and files
written inside a failed transaction are deleted (``files.files_written``), so a rejected upload
leaves nothing behind.

A photo's page copy (upright, at most 1280 px, JPEG) is the stored photo itself when it already
is one (a phone's browser often resizes before sending); otherwise it is made after the commit
by a task (``photo_display_copies_make``), and until then pages show the original.
"""

from __future__ import annotations

import io
import logging
import os
import uuid

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from twinning import files
from twinning.files import CheckedFile, FileWriter
from twinning.queue import enqueue_on_commit

from ..models import StoredImage

logger = logging.getLogger(__name__)

MAX_IMAGES = 12
DISPLAY_MAX_PX = 1280
# A JPEG this small that needs no resizing is its own page copy.
DISPLAY_MAX_BYTES = 1024 * 1024


def images_check(uploads) -> list[CheckedFile]:
    """At most MAX_IMAGES photos, each a real JPEG/PNG/WebP (re-encoded), else ValidationError."""
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_IMAGES:
        raise ValidationError(_("一次最多上传 %(n)d 张照片。"), params={"n": MAX_IMAGES}, code="too_many")
    return files.uploads_check(uploads, accept=files.IMAGES)


def documents_check(uploads) -> list[CheckedFile]:
    return files.uploads_check(uploads, accept=files.ATTACHMENTS)


def display_copy(data: bytes) -> bytes:
    """The page copy of an image: upright, at most 1280 px on the long side, JPEG.

    A JPEG is decoded at the smallest DCT scale that still gives 1280 px (``draft``): a 12-megapixel
    photo decodes at a quarter of the pixels, half the time of the whole.
    """
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (DISPLAY_MAX_PX, DISPLAY_MAX_PX))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((DISPLAY_MAX_PX, DISPLAY_MAX_PX))
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=82, optimize=True)
        return out.getvalue()


def save_beside(name: str, data: bytes, extension: str) -> str:
    """Store ``data`` as a new file in the folder of the stored file ``name``."""
    return default_storage.save(f"{os.path.dirname(name)}/{uuid.uuid4().hex}.{extension}", ContentFile(data))


def store_image(writer: FileWriter, model, checked: CheckedFile, **fields):
    """Write the (re-encoded, upright) photo and build (unsaved) a StoredImage subclass row.

    A small JPEG is its own page copy; otherwise ``display`` stays empty until
    ``photo_display_copies_make`` has made one (the caller queues it after the commit).
    """
    original = writer.save(checked)
    web_ready = (
        checked.extension == "jpg"
        and max(checked.width, checked.height) <= DISPLAY_MAX_PX
        and len(checked.data) <= DISPLAY_MAX_BYTES
    )
    return model(
        original=original,
        display=original if web_ready else "",
        original_name=checked.name,
        size=len(checked.data),
        width=checked.width,
        height=checked.height,
        **fields,
    )


# --- page copies of photos -------------------------------------------------------------------


def display_copies_after_commit(model: type[StoredImage], rows: list[StoredImage]) -> None:
    """Once the rows are committed, queue the page copies of the images that are not their own.

    The request only stores the original (safe on disk before the response); decoding and
    resizing a phone photo takes a worker ~0.1–0.3 s. Without a queue (Redis down) the copies are
    made right here instead. After the commit nothing can undo the upload: a failure is logged
    (``robust``) and the pages show the original until a copy exists.
    """
    ids = [row.pk for row in rows if not row.display]
    if not ids:
        return
    from ..tasks import make_display_copies

    label = model._meta.label
    enqueue_on_commit(
        make_display_copies,
        model_label=label,
        ids=ids,
        on_unavailable=lambda _message: photo_display_copies_make(model_label=label, ids=ids),
        raise_unavailable=False,
        robust=True,
    )


def photo_display_copies_make(*, model_label: str, ids: list[int]) -> int:
    """Make the page copies of stored images that have none yet; returns how many were made.

    Idempotent: an image that has its copy is skipped, and when two runs race on one image the
    second deletes its file. An original that does not decode keeps no copy (its pages show the
    original); a storage error propagates, so that the task is retried.
    """
    model = apps.get_model(model_label)
    if not issubclass(model, StoredImage):
        raise ValueError(f"{model_label} is not a stored image")
    made = 0
    for image in model.objects.filter(pk__in=ids, display=""):
        with image.original.open("rb") as handle:
            data = handle.read()
        try:
            copy = display_copy(data)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            logger.exception("no page copy for %s %s", model_label, image.pk)
            continue
        name = save_beside(image.original.name, copy, "jpg")
        if model.objects.filter(pk=image.pk, display="").update(display=name):
            made += 1
        else:
            default_storage.delete(name)
    return made
