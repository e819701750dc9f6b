"""Beat's own heartbeat: proof for /healthz that beat and a worker run."""

from __future__ import annotations

import time

from celery import shared_task
from django.core.cache import cache

PIPELINE_KEY = "last100:pipeline-beat"


@shared_task(ignore_result=True)
def pipeline_beat() -> None:
    """Beat sends it every PIPELINE_BEAT_SECONDS; the worker that runs it notes the time.
    /healthz reads it: no recent note means no beat or no worker."""
    cache.set(PIPELINE_KEY, time.time(), timeout=24 * 3600)
