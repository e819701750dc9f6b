"""Notices show on the community's cached rules page: a change bumps the community, so
the cached page is rendered afresh (see communities.signals)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from communities.signals import community_touch

from .models import Notice


@receiver(post_save, sender=Notice)
@receiver(post_delete, sender=Notice)
def _notice_changed(sender, instance, **kwargs) -> None:
    if not kwargs.get("raw"):
        community_touch(instance.community_id)
