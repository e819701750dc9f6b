"""What gate sync needs from the room above it, handed in at start-up.

Gate sync sits below riders (core <- communities <- gatesync <- riders ...) and imports
none of it, yet two things it sends controllers are riders' data:

* the public pass-signing keys a snapshot carries (controllers verify passes offline);
* the names Hikvision terminals show for their persons.

Riders registers one function for each in its AppConfig.ready() through
`gatesync.interface.providers_register`. (The key store stays in riders: the private keys
sign riders' passes and verify them online, and gate sync only ever publishes the public
half; moving the store down would hand gate sync private keys it never uses.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

PublishedKeys = Callable[[], list[dict[str, Any]]]
PersonNames = Callable[[Iterable[int]], dict[int, str]]


@dataclass
class Providers:
    published_keys: PublishedKeys | None = None
    person_names: PersonNames | None = None


registered = Providers()


def providers_register(*, published_keys: PublishedKeys, person_names: PersonNames) -> None:
    registered.published_keys = published_keys
    registered.person_names = person_names


def published_keys() -> list[dict[str, Any]]:
    """The public JWKs that verify passes now (signing, next, and retired in grace)."""
    if registered.published_keys is None:
        raise ImproperlyConfigured("No pass-key provider: riders registers it in its ready().")
    return registered.published_keys()


def person_names(rider_ids: Iterable[int]) -> dict[int, str]:
    """Rider id -> name, for the riders among `rider_ids` that still exist."""
    if registered.person_names is None:
        raise ImproperlyConfigured("No name provider: riders registers it in its ready().")
    return registered.person_names(rider_ids)
