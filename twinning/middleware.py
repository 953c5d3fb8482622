"""Request limits and queue outages answered with a clear page instead of a crash.

- A body larger than ``MAX_REQUEST_BYTES`` (by its Content-Length) is refused with 413 before
  anything is read or written to disk.
- A form body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), with more than
  ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields or ``DATA_UPLOAD_MAX_NUMBER_FILES`` files (400) is
  parsed here, before the CSRF check would parse it, so the answer is a Chinese page (or JSON
  under /api/) rather than Django's bare "Bad Request".
- A queue error that escapes a view (Redis down) answers 503 "任务队列暂时不可用": the catch-all
  behind ``twinning.queue.enqueue_on_commit``, through which every service queues its jobs and which
  records and shows the same message on the page that asked.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .queue import QUEUE_ERRORS, queue_unavailable_message


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or request.headers.get("accept", "").startswith("application/json")


def error_page(request, status: int, message: str):
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    template = {413: "413.html", 503: "503.html"}.get(status, "400.html")
    return render(request, template, {"message": message}, status=status)


def _drain(request) -> None:
    """Read and discard a refused body (up to MAX_REQUEST_BYTES), so that the client, still
    sending, gets the page instead of a connection reset. Larger bodies are not read at all."""
    if _content_length(request) > settings.MAX_REQUEST_BYTES:
        return
    try:
        while request.read(256 * 1024):
            pass
    except Exception:  # noqa: BLE001 - a client that went away needs no page
        pass


def _too_big(request):
    _drain(request)
    limit = max(settings.MAX_REQUEST_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE) // (1024 * 1024)
    return error_page(request, 413, _("提交的内容过大（上限 %(mb)d MB），请减少或压缩文件后重试。") % {"mb": limit})


def _too_many(request):
    return error_page(request, 400, _("提交的字段或文件过多，请分批提交。"))


class RequestLimitsMiddleware:
    """Place before CsrfViewMiddleware (it parses POST bodies first) and after authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _content_length(request) > settings.MAX_REQUEST_BYTES:
            return _too_big(request)
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parse now (CSRF would next), so limits answer here
                request.FILES  # noqa: B018
            except RequestDataTooBig:
                return _too_big(request)
            except (TooManyFieldsSent, TooManyFilesSent):
                return _too_many(request)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return _too_big(request)
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            return _too_many(request)
        if isinstance(exception, QUEUE_ERRORS):
            return error_page(request, 503, queue_unavailable_message())
        return None
