"""Writes of the accounts app: in-app notices (and e-mail where the user has an address)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import connection, transaction
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


def notice_send_to_branch(
    *, branch_id: int, roles: Iterable[str], title: str, body: str = "", url: str = "", kind: str = ""
) -> int:
    """Notify in-app (no e-mail, no key) every user of ``roles`` in one branch; returns how many.

    The same rows as ``notice_send(users=<those users>, email=False)``, written by one
    ``INSERT ... SELECT`` instead of reading the users into Python and inserting them back:
    recording a theme day (the month-end's busiest write) notifies the other side this way.
    """
    roles = list(roles)
    if not roles:
        return 0
    qn = connection.ops.quote_name
    notice, user = Notice._meta, User._meta
    columns = ", ".join(
        qn(notice.get_field(name).column) for name in ("user", "title", "body", "url", "kind", "key", "created_at")
    )
    created_at = notice.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(notice.db_table)} ({columns}) "
            f"SELECT {qn(user.pk.column)}, %s, %s, %s, %s, %s, %s FROM {qn(user.db_table)} "
            f"WHERE {qn(user.get_field('branch').column)} = %s "
            f"AND {qn(user.get_field('role').column)} IN ({', '.join(['%s'] * len(roles))})",
            [str(title), str(body), str(url), kind, "", created_at, branch_id, *roles],
        )
        return cursor.rowcount


def notices_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notice.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
