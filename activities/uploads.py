"""Uploaded images and documents: validate everything first, then write, and undo writes on failure.

Nothing reaches storage before every file of a request has been validated, and files written
inside a failed transaction are deleted, so a rejected upload leaves nothing behind.

A photo's page copy (upright, at most 1280 px, JPEG) is the original itself when the original
already is one (a phone's browser often resizes before sending); otherwise it is made after the
commit by a task (``services.photo_display_copies_make``), and until then pages show the original.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_IMAGES = 12
DISPLAY_MAX_PX = 1280
# A JPEG this small that needs no turning or resizing is its own page copy.
DISPLAY_MAX_BYTES = 1024 * 1024
EXIF_ORIENTATION = 0x0112
# Decompression bombs: refuse images with more pixels than a 50-megapixel camera makes.
MAX_PIXELS = 50_000_000
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic", "MPO": "jpg"}
ATTACHMENT_SIGNATURES = {
    "pdf": (b"%PDF",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "xls": (b"\xd0\xcf\x11\xe0",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}
UPLOAD_ROOT = "private/activities"


@dataclass
class CheckedImage:
    name: str
    data: bytes
    extension: str
    width: int
    height: int
    web_ready: bool = False  # already a page copy: JPEG, upright, at most DISPLAY_MAX_PX and DISPLAY_MAX_BYTES


@dataclass
class CheckedDocument:
    name: str
    data: bytes
    extension: str


def _read(upload, limit: int) -> bytes:
    name = getattr(upload, "name", "") or ""
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("文件“%(name)s”太大（%(size)s），上限为 %(limit)s。"),
            params={"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("文件“%(name)s”超过 %(limit)s 的上限。"),
            params={"name": name, "limit": filesizeformat(limit)},
            code="too_large",
        )
    return data


def image_check(upload) -> CheckedImage:
    """A real JPEG/PNG/WebP (or HEIC where Pillow reads it) of at most 8 MB, else ValidationError."""
    data = _read(upload, MAX_IMAGE_BYTES)
    name = os.path.basename(upload.name or "photo")
    not_image = ValidationError(
        _("“%(name)s”不是有效的图片，请上传 JPG、PNG 或 WebP 照片。"), params={"name": name}, code="not_image"
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, mode = image.format, image.mode
            width, height = image.size
            # Only a JPEG can be its own page copy; its EXIF is parsed without decoding the image.
            upright = fmt == "JPEG" and image.getexif().get(EXIF_ORIENTATION, 1) == 1
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise not_image from exc
    if fmt not in IMAGE_FORMATS:
        raise not_image
    if width * height > MAX_PIXELS:
        raise ValidationError(_("图片“%(name)s”像素过大。"), params={"name": name}, code="too_many_pixels")
    web_ready = (
        upright and mode in ("RGB", "L") and max(width, height) <= DISPLAY_MAX_PX and len(data) <= DISPLAY_MAX_BYTES
    )
    return CheckedImage(
        name=name[:255], data=data, extension=IMAGE_FORMATS[fmt], width=width, height=height, web_ready=web_ready
    )


def images_check(uploads) -> list[CheckedImage]:
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_IMAGES:
        raise ValidationError(_("一次最多上传 %(n)d 张照片。"), params={"n": MAX_IMAGES}, code="too_many")
    errors, checked = [], []
    for upload in uploads:
        try:
            checked.append(image_check(upload))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


def document_check(upload) -> CheckedDocument:
    name = os.path.basename(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ATTACHMENT_SIGNATURES:
        raise ValidationError(
            _("附件“%(name)s”格式不支持，请上传 PDF、Word 或 Excel 文件。"), params={"name": name}, code="bad_type"
        )
    data = _read(upload, MAX_ATTACHMENT_BYTES)
    if not data.startswith(ATTACHMENT_SIGNATURES[extension]):
        raise ValidationError(_("附件“%(name)s”内容与扩展名不符。"), params={"name": name}, code="bad_content")
    return CheckedDocument(name=name[:255], data=data, extension=extension)


def documents_check(uploads) -> list[CheckedDocument]:
    errors, checked = [], []
    for upload in [u for u in uploads or [] if u]:
        try:
            checked.append(document_check(upload))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


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


class FileWriter:
    """Writes files to the default storage and remembers them, so a failure can remove them."""

    def __init__(self, folder: str):
        self.folder = f"{UPLOAD_ROOT}/{folder}/{timezone.localdate():%Y/%m}"
        self.written: list[str] = []

    def save(self, data: bytes, extension: str) -> str:
        name = default_storage.save(f"{self.folder}/{uuid.uuid4().hex}.{extension}", ContentFile(data))
        self.written.append(name)
        return name

    def remove_all(self) -> None:
        for name in self.written:
            default_storage.delete(name)
        self.written.clear()


@contextmanager
def files_written(folder: str) -> Iterator[FileWriter]:
    """Use inside ``transaction.atomic()``: on any exception the files written are deleted."""
    writer = FileWriter(folder)
    try:
        yield writer
    except BaseException:
        writer.remove_all()
        raise


def store_image(writer: FileWriter, model, checked: CheckedImage, **fields):
    """Write the original and build (unsaved) a StoredImage subclass row.

    A web-ready original is its own page copy; otherwise ``display`` stays empty until
    ``services.photo_display_copies_make`` has made one (the caller queues it after the commit).
    """
    original = writer.save(checked.data, checked.extension)
    return model(
        original=original,
        display=original if checked.web_ready else "",
        original_name=checked.name,
        size=len(checked.data),
        width=checked.width,
        height=checked.height,
        **fields,
    )
