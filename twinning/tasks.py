"""Project-level tasks that belong to no app."""

from celery import shared_task


@shared_task(name="twinning.ping")
def ping(value: str = "pong") -> str:
    """Echo a value back: proves a round trip through the broker and a worker."""
    return value
