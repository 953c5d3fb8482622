"""Hostile and honest files for the upload tests, each built in memory in a few bytes."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

SCRIPT = b"<script>alert(document.cookie)</script>"
PAGE = b"<html><body>" + SCRIPT + b"</body></html>"


def png_bytes(size=(40, 30), color=(200, 30, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size=(40, 30), color=(200, 30, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def pdf_bytes(text: str = "agreement") -> bytes:
    """A minimal well-formed PDF: header, one page, cross-reference table, trailer."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
    ]
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def gif_js_polyglot() -> bytes:
    """A GIF that Pillow opens and that is also JavaScript: ``GIF89a/*…*/=0;alert(…)//``.

    The logical screen width is the two bytes ``/*``, which opens a JS comment closed after the GIF
    trailer; the script then assigns to ``GIF89a`` and runs."""
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, format="GIF")
    gif = bytearray(out.getvalue())
    gif[0:6] = b"GIF89a"
    gif[6:8] = b"/*"
    return bytes(gif) + b"*/=0;alert(document.cookie)//"


def with_page_appended(data: bytes) -> bytes:
    return data + PAGE


def png_with_forged_size(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header claims ``width``×``height`` (CRC fixed): a decompression bomb's header."""
    data = bytearray(png_bytes(size=(1, 1)))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13])))
    return bytes(data)


def office_zip(main_part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<x/>")
    return out.getvalue()


def ole_file(stream: str) -> bytes:
    """The start of an OLE2 compound file whose directory names ``stream`` (as Word and Excel write)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 64


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def served_safely(response, *, content_type: str, inline: bool) -> bool:
    """What every file response must say, whoever uploaded the file."""
    disposition = response["Content-Disposition"]
    return (
        response.status_code == 200
        and response["Content-Type"] == content_type
        and response["X-Content-Type-Options"] == "nosniff"
        and response["Content-Security-Policy"].startswith("sandbox")
        and "default-src 'none'" in response["Content-Security-Policy"]
        and response["Cache-Control"].startswith("private")
        and disposition.startswith("inline" if inline else "attachment")
    )
