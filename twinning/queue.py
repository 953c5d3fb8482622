"""Handing a job to the task queue: once the caller's transaction commits, or saying the queue is down.

Every caller queues through ``enqueue_on_commit``: a rolled-back transaction queues nothing, and a
broker outage (Redis down) becomes the one message "任务队列暂时不可用，请稍后再试。" — recorded on the
job's row by the caller's ``on_unavailable`` and, unless the caller carries on without the queue,
raised as ``QueueUnavailable`` for the view to show on its page.

``twinning.middleware`` is the catch-all behind this: a queue error that escapes a view (a task
queued some other way, or Redis itself failing) is answered with the same message as a 503 page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What the middleware answers 503 for: the broker refusing a job, or Redis failing under it.
QUEUE_ERRORS = (BrokerUnavailable, RedisConnectionError, RedisTimeoutError)


class QueueUnavailable(Exception):
    """The task queue (Redis) could not take the job; ``str()`` is the message for the user."""


def queue_unavailable_message() -> str:
    return _("任务队列暂时不可用，请稍后再试。")


def enqueue_on_commit(
    task,
    *,
    on_unavailable: Callable[[str], object] | None = None,
    raise_unavailable: bool = True,
    robust: bool = False,
    **kwargs,
) -> None:
    """Queue the Celery ``task`` with ``kwargs`` once the current transaction commits (at once outside one).

    ``ignore_result``: pages follow the job's row, never a result; subscribing to a result would wait
    ~20 s on a dead Redis. When the broker cannot take the job, ``on_unavailable(message)`` runs
    (fail the job's row, or do the work in the request instead), then ``QueueUnavailable(message)``
    is raised out of the commit unless ``raise_unavailable`` is False. ``robust``: an error in the
    callback after the commit is logged instead of raised (``transaction.on_commit(robust=True)``).
    """

    def enqueue():
        try:
            task.apply_async(kwargs=kwargs, ignore_result=True)
        except BrokerUnavailable as exc:
            logger.warning("%s not queued: task queue unavailable", task.name, exc_info=True)
            message = queue_unavailable_message()
            if on_unavailable is not None:
                on_unavailable(message)
            if raise_unavailable:
                raise QueueUnavailable(message) from exc

    transaction.on_commit(enqueue, robust=robust)
