"""django-axes' lock-out check as the first authentication backend."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class AxesBackend(AxesStandaloneBackend):
    """Refuses a locked-out (user name, address) pair. A call without a request (the test
    client's login(), a shell) is no web log-in and has no address to lock: it passes on
    to the next backend instead of failing, as axes' own backend would."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
