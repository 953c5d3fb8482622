"""Celery wrappers: thin, one service each."""

from celery import shared_task

from . import services


@shared_task(name="activities.send_theme_day_reminders")
def send_theme_day_reminders() -> int:
    """Beat, the 20th of each month 09:00 Asia/Shanghai: remind pairings with no theme day yet this month."""
    return services.theme_day_reminders_send()


@shared_task(name="activities.make_display_copies", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def make_display_copies(*, model_label: str, ids: list[int]) -> int:
    """After an upload: the page copies (upright, ≤ 1280 px JPEG) of the photos that need one."""
    return services.photo_display_copies_make(model_label=model_label, ids=ids)
