"""Moves the clock of every Python process the test run starts (Celery workers, the gate
simulator, gunicorn, manage.py) by the same days as the test process itself: conftest.py
puts this folder on PYTHONPATH and sets L100_CLOCK_SHIFT_DAYS when the suite runs with
--clock-shift-days. Without that variable it does nothing."""

import os

_days = int(os.environ.get("L100_CLOCK_SHIFT_DAYS") or 0)
if _days:
    import datetime as _dt

    import time_machine as _time_machine

    _time_machine.travel(_dt.datetime.now(_dt.UTC) + _dt.timedelta(days=_days)).start()
