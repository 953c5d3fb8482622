from django.utils.functional import SimpleLazyObject

from .models import Notice
from .perms import Can


def unread_notices(request):
    """The unread-notice count for the navbar badge. The user loaded for the request brings it along
    (accounts.backends.PortalBackend); a user loaded otherwise costs one small query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = getattr(user, "unread_notice_count", None)
    if count is None:
        count = Notice.objects.filter(user=user, read_at__isnull=True).count()
    return {"unread_notice_count": count}


def perms(request):
    """``can``: what the pages offer this user (accounts.perms.Can), computed only when a template reads it."""
    return {"can": SimpleLazyObject(lambda: Can.of(getattr(request, "user", None)))}
