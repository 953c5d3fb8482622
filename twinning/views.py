"""View helpers of every app: who may open a page, and a service's refusal shown on its form.

- ``access_required(allowed)``: ``login_required``, then 403 unless ``allowed(user)``;
  ``manager_required`` is it with the scope module's ``can_manage`` (org-department staff).
- ``apply_validation_error(form, exc)``: a service's ``ValidationError`` put on the form that fed
  it, each field's errors on that field (on the form as a whole for a name the form lacks).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError

from pairing import scope


def access_required(allowed: Callable[[object], bool]):
    """A view decorator: log in first, then 403 unless ``allowed(request.user)``."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Only org-department staff may change the registry, pairings, the roster or the N list; others get 403.
manager_required = access_required(scope.can_manage)


def apply_validation_error(form, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on ``form``: by field where the form has the field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
