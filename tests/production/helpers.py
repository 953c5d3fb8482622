"""Small helpers shared by the production tests."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

MB = 1024 * 1024


def stored(media_root: Path) -> set[Path]:
    return {p for p in Path(media_root).rglob("*") if p.is_file()}


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def oversized(name: str, limit: int, head: bytes, content_type: str) -> SimpleUploadedFile:
    """A file one byte over ``limit`` whose first bytes look right (the size check must catch it)."""
    return SimpleUploadedFile(name, head + b"\0" * (limit + 1 - len(head)), content_type=content_type)


def png_over(limit: int, name: str = "photo.png") -> SimpleUploadedFile:
    """A real PNG padded past ``limit`` (PNG readers ignore trailing bytes)."""
    data = png_bytes()
    return SimpleUploadedFile(name, data + b"\0" * (limit + 1 - len(data)), content_type="image/png")


def exe(name: str, content_type: str) -> SimpleUploadedFile:
    """A Windows executable under an innocent name."""
    return SimpleUploadedFile(name, b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 200, content_type=content_type)


def is_rejected_in_chinese(response) -> bool:
    html = response.content.decode()
    return response.status_code in (200, 400) and (
        "is-invalid" in html or "alert-danger" in html or "invalid-feedback" in html
    )
