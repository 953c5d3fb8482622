"""Writes of the accounts app: in-app notices (and e-mail where the user has an address)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from .models import Notice, User


def notice_send(
    *,
    users: Iterable[User],
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "",
    key: str = "",
    email: bool = True,
) -> int:
    """Notify users in-app, and by e-mail where an address is set (sent after commit).

    With a ``key``, a user is notified at most once for it, so a scheduled job can re-run
    safely. Returns how many notices were created.
    """
    users = [u for u in users if u is not None]
    if key:
        already = set(Notice.objects.filter(key=key, user__in=users).values_list("user_id", flat=True))
        users = [u for u in users if u.pk not in already]
    notices = Notice.objects.bulk_create(
        [Notice(user=u, title=title, body=body, url=url, kind=kind, key=key) for u in users], ignore_conflicts=bool(key)
    )
    if email:
        messages = [(title, f"{body}\n{url}".strip(), settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users if u.email]
        if messages:
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return len(notices)


def notices_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notice.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
