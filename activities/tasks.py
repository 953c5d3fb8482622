"""Celery wrappers: thin, one service each."""

from celery import shared_task

from . import services


@shared_task(name="activities.send_theme_day_reminders")
def send_theme_day_reminders() -> int:
    """Beat, the 20th of each month 09:00 Asia/Shanghai: remind pairings with no theme day yet this month."""
    return services.theme_day_reminders_send()
