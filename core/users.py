"""The one "acting user" type every service takes as `acting_user`: a logged-in user, an
anonymous visitor (a rider's own request) or None (the system: a task, a command)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ActingUser = AbstractBaseUser | AnonymousUser | None
