"""Rows written once, never changed or deleted (logs)."""

from __future__ import annotations

from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AppendOnly(models.Model):
    """Rows are written once: saving an existing row or deleting one raises."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are never deleted.")
