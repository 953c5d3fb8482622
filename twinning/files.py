"""Private files: one upload validator, one way to store, one way to serve.

Every upload of the portal (theme-day photos and attachments, key-task evidence, pairing and
registration agreements, wish photos, rosters) is checked here by its content, never by its
name, against one set of limits:

- at most ``MAX_FILE_BYTES`` (10 MB) per file;
- images (JPEG, PNG, WebP) at most ``MAX_PIXELS`` (50 megapixels); they are decoded and
  re-encoded by Pillow, turned upright and stripped of every metadata block, so what is stored
  is pixels only: a file that is also a script or a page (a polyglot, or bytes appended after the
  image) does not survive. GIF is not taken;
- PDFs start with ``%PDF-`` and end with a trailer (``startxref`` … ``%%EOF``); anything after
  the last ``%%EOF`` is cut off;
- Word and Excel files by signature: an OLE2 file with a Word or Excel stream (doc, xls), or a
  zip with the main part of a Word or Excel document (docx, xlsx).

A checked file is stored under a generated name (uuid + the extension of the detected type) in a
private folder of the default storage (``private/<area>/<year>/<month>/``), which no URL serves;
files written inside a failed transaction are deleted (``files_written``). Files are served only
by ``file_response``: the content type comes from the stored name's extension through a fixed
table (anything else is ``application/octet-stream``), never from the uploader's name, with
``nosniff``, a sandboxing CSP, ``Cache-Control: private``, and as a download unless it is an image.
"""

from __future__ import annotations

import io
import os
import re
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

MAX_FILE_BYTES = 10 * 1024 * 1024
# Decompression bombs: refuse images with more pixels than a 50-megapixel camera makes.
MAX_PIXELS = 50_000_000
PRIVATE_ROOT = "private"

# Pillow format -> (stored extension, format written). Only these decoders are ever tried.
IMAGE_FORMATS = {
    "JPEG": ("jpg", "JPEG"),
    "MPO": ("jpg", "JPEG"),  # a camera's multi-picture JPEG: its first picture
    "PNG": ("png", "PNG"),
    "WEBP": ("webp", "WEBP"),
    "HEIF": ("jpg", "JPEG"),  # only where a HEIF plugin is installed (it is not by default)
}
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "PNG": {}, "WEBP": {"quality": 90}}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a stored file is served as, by the extension of its stored name. Old uploads kept the
# uploader's name; their extensions map through this table too ("jpeg", "gif" are theirs).
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": XLSX,
}
INLINE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp", "gif"})
# On every file response: a document opened from it runs no script and loads nothing.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
PDF_TRAILER_SEARCH = 4096  # startxref and %%EOF stand in the last bytes of a PDF


@dataclass(frozen=True)
class Accept:
    """What an upload point takes: the detected types it allows, and what a refused file is told
    (``%(name)s`` is the uploader's file name)."""

    extensions: frozenset[str]
    refusal: str
    too_large: str | None = None  # the upload point's own words; ``%(name)s``, ``%(max)d`` (MB)


IMAGES = Accept(
    frozenset({"jpg", "png", "webp"}),
    gettext_lazy("“%(name)s”不是有效的图片，请上传 JPG、PNG 或 WebP 照片。"),
)
AGREEMENTS = Accept(
    frozenset({"pdf", "jpg", "png", "webp"}),
    gettext_lazy("“%(name)s”无法识别，请上传 PDF 文件或 JPG/PNG/WebP 图片。"),
)
ATTACHMENTS = Accept(
    frozenset({"pdf", "doc", "docx", "xls", "xlsx"}),
    gettext_lazy("附件“%(name)s”格式不支持或内容与扩展名不符，请上传 PDF、Word 或 Excel 文件。"),
)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed ``upload_check``: the bytes to store and the type they were found to be."""

    name: str  # the uploader's file name: shown and offered as the download name, never trusted
    data: bytes
    extension: str
    width: int = 0
    height: int = 0

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


# --- checking ------------------------------------------------------------------------------------


def upload_check(upload, *, accept: Accept) -> CheckedFile:
    """The checked (for an image: re-encoded) content of an upload, else ValidationError in Chinese."""
    name = os.path.basename(getattr(upload, "name", "") or "")[:255]
    data = _read(upload, name=name, accept=accept)
    refused = ValidationError(accept.refusal, params={"name": name}, code="bad_type")
    extension = _detect(data)
    if extension == "image" and accept.extensions & INLINE_EXTENSIONS:
        return _image_reencoded(data, name=name, accept=accept, refused=refused)
    if extension not in accept.extensions:
        raise refused
    if extension == "pdf":
        data = _pdf_checked(data, refused=refused)
    return CheckedFile(name=name, data=data, extension=extension)


def _read(upload, *, name: str, accept: Accept) -> bytes:
    limit = MAX_FILE_BYTES
    message = accept.too_large or _("文件“%(name)s”太大，上限为 %(max)d MB。")
    too_large = ValidationError(message, params={"name": name, "max": limit // 2**20}, code="too_large")
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise too_large
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    if len(data) > limit:
        raise too_large
    return data


def _detect(data: bytes) -> str | None:
    """The type by content: an extension of CONTENT_TYPES, "image" (Pillow decides), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(OLE_MAGIC):
        return _ole_kind(data)
    if data.startswith(ZIP_MAGIC):
        return _zip_kind(data)
    return "image" if data else None


def _ole_kind(data: bytes) -> str | None:
    # The directory of an OLE2 file names its streams in UTF-16: Word's and Excel's main streams.
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if any(s.encode("utf-16-le") in data for s in ("Workbook", "Book")):
        return "xls"
    return None


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except Exception:  # noqa: BLE001 - a malformed zip (BadZipFile, struct.error, ...) is not a document
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _pdf_checked(data: bytes, *, refused: ValidationError) -> bytes:
    """A PDF's header and trailer are where they belong; what follows its last %%EOF is dropped."""
    end = data.rfind(b"%%EOF")
    if not PDF_HEADER.match(data) or end < 0 or data.rfind(b"startxref", max(0, end - PDF_TRAILER_SEARCH), end) < 0:
        raise refused
    return data[: end + len(b"%%EOF")] + b"\n"


def _image_reencoded(data: bytes, *, name: str, accept: Accept, refused: ValidationError) -> CheckedFile:
    too_many_pixels = ValidationError(
        _("图片“%(name)s”像素过大（超过 %(mp)d 百万像素），请缩小后再上传。"),
        params={"name": name, "mp": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 megapixels and raises from twice that, when the header is read.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_decoders()) as source:
                extension, out_format = IMAGE_FORMATS[source.format]
                width, height = source.size
                if width * height > MAX_PIXELS:
                    raise too_many_pixels
                image = ImageOps.exif_transpose(source)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels from exc
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a decoder raises on hostile bytes, it is not an image
        raise refused from exc
    if extension not in accept.extensions:
        raise refused
    try:
        encoded = _encoded(image, out_format)
    except Exception as exc:  # noqa: BLE001 - an image mode the encoder cannot take is refused, not a 500
        raise refused from exc
    return CheckedFile(name=name, data=encoded, extension=extension, width=image.width, height=image.height)


def _encoded(image: Image.Image, out_format: str) -> bytes:
    if out_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif "transparency" in image.info:  # a palette's transparency lives in info: make it pixels
        image = image.convert("RGBA")
    image.info = {}  # no comment, EXIF, XMP or ICC block is written back: pixels only
    out = io.BytesIO()
    image.save(out, format=out_format, **SAVE_OPTIONS[out_format])
    return out.getvalue()


def _decoders() -> list[str]:
    Image.init()
    return [name for name in IMAGE_FORMATS if name in Image.OPEN]


def uploads_check(uploads, *, accept: Accept) -> list[CheckedFile]:
    """Check several files of one field; every file's error is reported, not only the first."""
    errors, checked = [], []
    for upload in [u for u in uploads or [] if u]:
        try:
            checked.append(upload_check(upload, accept=accept))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


# --- storing -------------------------------------------------------------------------------------


class FileWriter:
    """Writes checked files to the default storage and remembers them, so a failure can remove them."""

    def __init__(self, area: str):
        self.folder = f"{PRIVATE_ROOT}/{area}/{timezone.localdate():%Y/%m}"
        self.written: list[str] = []

    def save(self, checked: CheckedFile) -> str:
        """Store under a generated name; returns the stored name."""
        return self.save_data(checked.data, checked.extension)

    def save_data(self, data: bytes, extension: str) -> str:
        name = default_storage.save(f"{self.folder}/{uuid.uuid4().hex}.{extension}", ContentFile(data))
        self.written.append(name)
        return name

    def remove_all(self) -> None:
        for name in self.written:
            default_storage.delete(name)
        self.written.clear()


@contextmanager
def files_written(area: str) -> Iterator[FileWriter]:
    """Use around ``transaction.atomic()``: on any exception the files written are deleted."""
    writer = FileWriter(area)
    try:
        yield writer
    except BaseException:
        writer.remove_all()
        raise


# --- serving -------------------------------------------------------------------------------------


def file_response(file, *, download_name: str = "", max_age: int = 0) -> FileResponse:
    """Serve a private file: a stored ``FieldFile`` (404 when there is none), or a file the server
    has just generated, whose type is then that of ``download_name``.

    The type is read from the stored (server-given) name's extension through CONTENT_TYPES;
    images are shown inline, anything else is a download. The caller has applied the scope rule.
    """
    if isinstance(file, FieldFile):
        if not file or not file.name:
            raise Http404
        typed_name = file.name
        try:
            handle = file.open("rb")
        except (FileNotFoundError, ValueError) as exc:
            raise Http404 from exc
    else:
        handle, typed_name = file, download_name
    extension = typed_name.rsplit(".", 1)[-1].lower() if "." in typed_name else ""
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    inline = extension in INLINE_EXTENSIONS
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=_download_name(download_name or os.path.basename(typed_name), extension),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"private, max-age={max_age}" if max_age else "private, no-cache"
    # Set here, so django-csp's middleware leaves it (it only adds a policy to a response without one).
    response["Content-Security-Policy"] = FILE_CSP
    return response


def _download_name(name: str, extension: str) -> str:
    """The offered name ends in the served type's extension (an uploader's "x.html" is offered as "x.pdf")."""
    if extension not in CONTENT_TYPES:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not (dot and suffix.isalnum() and not suffix.isdigit() and len(suffix) <= 5):
        stem = name
    return f"{stem or 'file'}.{extension}"
