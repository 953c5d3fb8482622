from .models import Notice


def unread_notices(request):
    """The unread-notice count for the navbar badge (one small query, logged-in users only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notice_count": Notice.objects.filter(user=user, read_at__isnull=True).count()}
