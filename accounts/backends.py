"""The portal's authentication backend: Django's ModelBackend whose per-request user load also counts
the user's unread notices, which the navbar shows on every page (one query fewer per request)."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import Notice, User


def unread_notices_of(user_ref) -> Subquery:
    return Subquery(
        Notice.objects.filter(user=user_ref, read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


class PortalBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = User._default_manager.annotate(
                unread_notice_count=Coalesce(unread_notices_of(OuterRef("pk")), 0)
            ).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
