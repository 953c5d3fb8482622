"""What the volunteers pages share: the page size, running a service for a form or a button,
and fetching a community for writing."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import redirect, render

from twinning.keyset import Keyset, Page, cursors, keyset_page, page_query
from twinning.views import apply_validation_error

from .. import perms, selectors
from ..forms import ReasonForm

PAGE_SIZE = 30


def page_of(request, rows: QuerySet, keyset: Keyset) -> dict[str, Page | str]:
    """A long list's keyset page (twinning/keyset.py) and the query its page links keep, as the
    context of templates/jinja2/_pagination.html."""
    return {"page": keyset_page(rows, keyset, size=PAGE_SIZE, **cursors(request.GET)), "query": page_query(request.GET)}


def form_submitted(request, form, save: Callable[[dict], object], *, success: str):
    """On a valid POST, ``save(form.cleaned_data)`` (one service) and flash ``success``; its result
    (a saved object), or None when there is nothing to save or the service refused (errors on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save(form.cleaned_data)
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None
    messages.success(request, success)
    return saved


def button_pressed(request, action: Callable[[], object], *, success: str) -> None:
    """A button's action (one service): flash ``success``, or the service's refusal."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, success)


def community_for_writing(request, pk: int):
    """A community the user may see (else 404) and runs (else 403)."""
    community = selectors.community_get(user=request.user, pk=pk)
    if not perms.runs_community(request.user, community):
        raise PermissionDenied
    return community


def community_item_form(request, community_pk: int, *, form_class, create, title: str, success: str, initial=None):
    """The page where the community secretary publishes a project, a wish or a whistle: ``create``
    is the service, called with the acting user, the community and the form's data."""
    community = community_for_writing(request, community_pk)
    form = form_class(request.POST or None, initial=initial)
    item = form_submitted(
        request,
        form,
        lambda data: create(acting_user=request.user, community=community, **data),
        success=success,
    )
    if item:
        return redirect(item)
    return render(request, "volunteers/form.html", {"form": form, "title": title, "community": community})


def posted_reason(request) -> str:
    """The reason typed beside a decide button (optional; the service says when it is wanted)."""
    form = ReasonForm(request.POST)
    form.is_valid()
    return form.cleaned_data.get("reason", "")
