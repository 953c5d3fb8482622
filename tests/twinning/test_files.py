"""The one upload validator, store and file response (twinning/files.py).

Uploads are judged by their content: images come out re-encoded (nothing that was appended or
hidden in them survives), PDFs and Office files are checked by structure, and every file is
served with a type the server chose, ``nosniff``, a sandboxing CSP that the site's CSP middleware
leaves alone, ``Cache-Control: private``, and as a download unless it is an image."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.urls import include, path
from PIL import Image

from activities.models import ThemeDayAttachment
from tests.uploads import (
    PAGE,
    SCRIPT,
    gif_js_polyglot,
    jpeg_bytes,
    office_zip,
    ole_file,
    pdf_bytes,
    png_bytes,
    png_with_forged_size,
    served_safely,
    upload,
    with_page_appended,
)
from twinning import files


def _stored(name: str) -> FieldFile:
    return FieldFile(None, ThemeDayAttachment._meta.get_field("file"), name)


def _serve_stored(request, name):
    return files.file_response(_stored(name), download_name=request.GET.get("as", ""))


def _serve_generated(request):
    return files.file_response(io.BytesIO(b"PK\x03\x04 generated"), download_name="导出.xlsx")


urlpatterns = [
    path("stored/<path:name>", _serve_stored),
    path("generated/", _serve_generated),
    path("", include("twinning.urls")),  # the error pages link to the site's pages
]


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()]


def messages(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


# --- checking by content ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "extension", "fmt"),
    [(jpeg_bytes(), "jpg", "JPEG"), (png_bytes(), "png", "PNG")],
)
def test_an_image_with_a_page_appended_comes_out_as_clean_pixels_of_its_own_type(data, extension, fmt):
    checked = files.upload_check(upload("photo.html", with_page_appended(data)), accept=files.IMAGES)
    assert checked.extension == extension and checked.content_type == f"image/{fmt.lower()}"
    assert SCRIPT not in checked.data and b"<html" not in checked.data
    assert Image.open(io.BytesIO(checked.data)).format == fmt and (checked.width, checked.height) == (40, 30)


def test_metadata_blocks_do_not_survive_and_a_turned_photo_comes_out_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90°
    exif[0x010E] = PAGE.decode()  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 20, 30)).save(out, format="JPEG", exif=exif, comment=PAGE)
    checked = files.upload_check(upload("turned.jpg", out.getvalue()), accept=files.IMAGES)
    assert SCRIPT not in checked.data
    assert Image.open(io.BytesIO(checked.data)).size == (60, 80) == (checked.width, checked.height)


def test_webp_stays_webp():
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(out, format="WEBP")
    checked = files.upload_check(upload("p.webp", out.getvalue()), accept=files.IMAGES)
    assert checked.extension == "webp" and Image.open(io.BytesIO(checked.data)).format == "WEBP"


def test_a_transparent_png_keeps_its_transparency_as_pixels():
    out = io.BytesIO()
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 0, 255, 255, 255])
    image.save(out, format="PNG", transparency=0)
    checked = files.upload_check(upload("t.png", out.getvalue()), accept=files.IMAGES)
    assert Image.open(io.BytesIO(checked.data)).convert("RGBA").getpixel((0, 0))[3] == 0


@pytest.mark.parametrize(
    "data",
    [gif_js_polyglot(), PAGE, b"\xff\xd8\xff not really a jpeg", b"MZ\x90\x00" + b"\0" * 100, b""],
    ids=["gif-js-polyglot", "html", "broken-jpeg", "executable", "empty"],
)
def test_anything_else_is_refused_as_an_image_in_chinese(data):
    with pytest.raises(ValidationError) as exc:
        files.upload_check(upload("photo.js", data), accept=files.IMAGES)
    assert "不是有效的图片" in messages(exc) and "photo.js" in messages(exc)


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (12000, 12000), (8000, 8000)])
def test_too_many_pixels_is_refused_before_decoding_whichever_pillow_limit_it_passes(width, height):
    # 900 megapixels: Pillow's DecompressionBombError; 144: its warning; 64: under both, over ours.
    with pytest.raises(ValidationError) as exc:
        files.upload_check(upload("bomb.png", png_with_forged_size(width, height)), accept=files.AGREEMENTS)
    assert "像素过大" in messages(exc) and "50 百万像素" in messages(exc)


def test_one_size_limit_for_every_file(monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    for accept, data in ((files.IMAGES, png_bytes() + b"\0" * 1000), (files.ATTACHMENTS, pdf_bytes("x" * 1000))):
        with pytest.raises(ValidationError) as exc:
            files.upload_check(upload("big", data), accept=accept)
        assert "太大" in messages(exc)
    unknown_size = io.BytesIO(pdf_bytes("x" * 1000))
    unknown_size.name = "x.pdf"
    with pytest.raises(ValidationError, match="太大"):
        files.upload_check(unknown_size, accept=files.ATTACHMENTS)


def test_a_pdf_is_checked_and_what_follows_its_end_is_cut_off():
    checked = files.upload_check(upload("agreement.html", with_page_appended(pdf_bytes())), accept=files.AGREEMENTS)
    assert checked.extension == "pdf" and checked.content_type == "application/pdf"
    assert SCRIPT not in checked.data and checked.data.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4 no trailer " + PAGE, b"%PDF-" + PAGE + b"%%EOF", b"%PDF-1.4\n" + PAGE + b"\n%%EOF"],
    ids=["no-trailer", "no-version", "no-startxref"],
)
def test_a_pdf_without_its_structure_is_refused(data):
    with pytest.raises(ValidationError) as exc:
        files.upload_check(upload("协议.pdf", data), accept=files.AGREEMENTS)
    assert "请上传 PDF 文件" in messages(exc)


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        (pdf_bytes(), "pdf"),
        (office_zip("word/document.xml"), "docx"),
        (office_zip("xl/workbook.xml"), "xlsx"),
        (ole_file("WordDocument"), "doc"),
        (ole_file("Workbook"), "xls"),
    ],
)
def test_attachments_are_typed_by_content_whatever_their_name(data, extension):
    checked = files.upload_check(upload("minutes.html", data), accept=files.ATTACHMENTS)
    assert checked.extension == extension and checked.name == "minutes.html"


@pytest.mark.parametrize(
    "data",
    [office_zip("content.xml"), b"PK\x03\x04 not a zip", ole_file("Contents"), png_bytes(), b"MZ\x90\x00"],
    ids=["other-zip", "broken-zip", "other-ole", "image", "executable"],
)
def test_other_attachments_are_refused(data):
    with pytest.raises(ValidationError) as exc:
        files.upload_check(upload("签到表.docx", data), accept=files.ATTACHMENTS)
    assert "签到表.docx" in messages(exc) and "不符" in messages(exc)


def test_several_files_report_every_error():
    with pytest.raises(ValidationError) as exc:
        files.uploads_check(
            [upload("a.png", png_bytes()), upload("b.jpg", b"x"), upload("c.jpg", b"y")], accept=files.IMAGES
        )
    assert len(exc.value.messages) == 2


# --- storing ---------------------------------------------------------------------------------------


def test_stored_under_a_generated_name_with_the_detected_extension_in_a_private_folder(_isolated_media_root):
    checked = files.upload_check(upload("photo.html", with_page_appended(png_bytes())), accept=files.IMAGES)
    with files.files_written("volunteers/wishes") as writer:
        name = writer.save(checked)
    assert name.startswith("private/volunteers/wishes/") and name.endswith(".png")
    assert "photo" not in name and len(name.rsplit("/", 1)[-1]) == len("0" * 32 + ".png")
    assert default_storage.open(name).read() == checked.data


@pytest.mark.django_db
def test_files_written_in_a_failed_transaction_are_removed(_isolated_media_root):
    checked = files.upload_check(upload("a.pdf", pdf_bytes()), accept=files.AGREEMENTS)
    with pytest.raises(RuntimeError), files.files_written("pairing/agreements") as writer, transaction.atomic():
        writer.save(checked)
        writer.save(checked)
        raise RuntimeError("the row could not be written")
    assert stored_files(_isolated_media_root) == []


# --- serving, through the whole middleware stack ---------------------------------------------------


def _store(name: str, data: bytes) -> str:
    return default_storage.save(name, ContentFile(data))


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("name", "content_type", "inline"),
    [
        ("private/a/photo.png", "image/png", True),
        ("private/a/photo.jpg", "image/jpeg", True),
        ("private/a/agreement.pdf", "application/pdf", False),
        ("private/a/minutes.docx", files.CONTENT_TYPES["docx"], False),
        # files stored before under the uploader's own name
        ("volunteers/wishes/2025/photo.js", "application/octet-stream", False),
        ("volunteers/wishes/2025/photo.html", "application/octet-stream", False),
        ("volunteers/wishes/2025/photo.svg", "application/octet-stream", False),
        ("volunteers/wishes/2025/old.gif", "image/gif", True),
        ("agreements/2025/pairing-1", "application/octet-stream", False),
    ],
)
def test_every_file_is_served_with_the_stored_type_and_the_file_headers(client, name, content_type, inline):
    stored = _store(name, gif_js_polyglot())
    response = client.get(f"/stored/{stored}")
    assert served_safely(response, content_type=content_type, inline=inline)
    assert response["Content-Security-Policy"] == files.FILE_CSP, "not replaced by the site's policy"


@pytest.mark.urls(__name__)
def test_the_offered_name_ends_in_the_served_type(client):
    stored = _store("private/a/0123.pdf", pdf_bytes())
    response = client.get(f"/stored/{stored}", {"as": "evil.html"})
    assert 'filename="evil.pdf"' in response["Content-Disposition"]


@pytest.mark.urls(__name__)
def test_a_missing_file_is_404(client):
    assert client.get("/stored/private/a/gone.png").status_code == 404


@pytest.mark.urls(__name__)
def test_a_generated_file_gets_the_same_headers(client):
    response = client.get("/generated/")
    assert served_safely(response, content_type=files.XLSX, inline=False)
    assert response["Content-Security-Policy"] == files.FILE_CSP
