"""The JSON API: the root router under ``/api/v1/``, the OpenAPI schema and its doc page.

Each app keeps its serializers and viewsets in ``<app>/api.py``; every viewset reads through
the app's selectors (so the scope rule is the pages' one: out of scope is 404) and writes
through the app's services (so the rules are the pages' ones). This module holds what they
share: pagination, the error mapping and the URL patterns.

The app modules are imported only when the URL patterns are first needed (module
``__getattr__``): REST framework imports ``CursorPage`` from here while it loads, and the app
modules import REST framework.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import include, path
from django.utils.encoding import force_str
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from .keyset import AFTER, BEFORE, Keyset, keyset_page


class CursorPage(pagination.BasePagination):
    """Keyset pages for every list (``twinning/keyset.py``, the pages' paginator): no COUNT, stable
    under inserts, every page one query whatever its depth. Newest first by id unless a viewset's
    page class names another ``keyset`` (a non-null, unique last key).

    The body is REST framework's cursor page, ``{"next", "previous", "results"}``; ``next`` and
    ``previous`` are full URLs whose ``?cursor=`` is ``after.<keyset cursor>`` or
    ``before.<keyset cursor>``. A cursor that is not one of ours is 404, as REST framework answers.
    """

    keyset = Keyset("-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"
    # REST framework's wording, and so its translations, for the schema and the 404.
    cursor_query_description = pagination.CursorPagination.cursor_query_description
    page_size_query_description = pagination.CursorPagination.page_size_query_description
    invalid_cursor_message = pagination.CursorPagination.invalid_cursor_message

    def paginate_queryset(self, queryset, request, view=None):
        self.base_url = request.build_absolute_uri()
        cursor = self._cursor(request, queryset.model)
        self.page = keyset_page(queryset, self.keyset, size=self.get_page_size(request), **cursor)
        return self.page.rows

    def _cursor(self, request, model) -> dict[str, str]:
        text = request.query_params.get(self.cursor_query_param)
        if not text:
            return {}
        direction, _dot, position = text.partition(".")
        if direction not in (AFTER, BEFORE) or self.keyset.decode(model, position) is None:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return {direction: position}

    def get_page_size(self, request) -> int:
        """``?page_size=``, at most ``max_page_size``; anything but a positive integer gives the default."""
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError):
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def _link(self, direction: str, position: str | None) -> str | None:
        if position is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, f"{direction}.{position}")

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(AFTER, self.page.next_cursor),
                "previous": self._link(BEFORE, self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": link | {"example": "http://api.example.org/accounts/?cursor=after.WzQ4Nl0"},
                "previous": link | {"example": "http://api.example.org/accounts/?cursor=before.WzQ4N10"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": force_str(description),
                "schema": {"type": kind},
            }
            for name, description, kind in (
                (self.cursor_query_param, self.cursor_query_description, "string"),
                (self.page_size_query_param, self.page_size_query_description, "integer"),
            )
        ]


def exception_handler(exc, context):
    """REST framework's handler, plus the services' Django ``ValidationError`` as 400 with its messages.

    ``PermissionDenied`` (403) and ``Http404`` are mapped by REST framework already.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field or "non_field_errors": msgs for field, msgs in exc.message_dict.items()}
            detail = {("non_field_errors" if k == "__all__" else k): v for k, v in detail.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args[:1] or ()))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class IdFilter(django_filters.NumberFilter):
    """Filter on a foreign key's id: a plain integer, so an id outside the scope and an id that
    does not exist both give an empty list (a model choice would tell them apart)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class BoundedIntegerField(serializers.IntegerField):
    """An integer that fits the database's integer column (fuzzing sends 10**30)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "09:30"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in Asia/Shanghai, "HH:MM" (no offset): OpenAPI's ``format: time`` would
    demand an offset, and an aware time cannot be stored in a time column."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key chosen among the rows the requesting user may see.

    ``scoped`` is a callable ``(user) -> QuerySet`` (a selector); an id outside it is
    "does not exist", exactly like an id that does not exist at all.
    """

    def __init__(self, *, scoped, model=None, **kwargs):
        self.scoped = scoped
        self.model = model
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model.objects.none() if model is not None else None
        kwargs.setdefault("pk_field", BoundedIntegerField(min_value=1))
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.scoped(request.user)


def _build_urlpatterns() -> list:
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
    from rest_framework.routers import DefaultRouter

    from activities import api as activities_api
    from pairing import api as pairing_api
    from reports import api as reports_api
    from volunteers import api as volunteers_api

    class Router(DefaultRouter):
        include_root_view = True
        include_format_suffixes = False

    router = Router()
    for module in (pairing_api, activities_api, volunteers_api, reports_api):
        module.register(router)

    class SwaggerView(SpectacularSwaggerSplitView):
        # The packaged template has an inline <style>; ours does not, so the CSP holds.
        template_name = "api/swagger_ui.html"

    return [
        path("v1/", include(router.urls)),
        path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
        path("docs/", SwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    ]


_urlpatterns: list | None = None


def __getattr__(name: str):
    global _urlpatterns
    if name == "urlpatterns":
        if _urlpatterns is None:
            _urlpatterns = _build_urlpatterns()
        return _urlpatterns
    raise AttributeError(name)
