"""What gate sync keeps in each process beside the database, in one object with `clear()`.

`deltas`       (community, from, to) -> delta document: log rows never change once written,
               so a fleet behind the same change reads them once (documents.delta_document)
`controllers`  controller id -> (when read, the enabled controller with its gate and
               community, or None): a scan costs no query to authenticate (auth._controller)

Tests empty it around every test (conftest.process_caches_clear): ids repeat across test
databases, so an entry kept from an earlier test would answer for rows that are gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from communities.models import GateController

DELTAS_MAX = 256
CONTROLLERS_MAX = 10_000  # ids are the caller's to choose: bound the memory


@dataclass
class ProcessCache:
    deltas: dict[tuple[int, int, int], dict[str, Any]] = field(default_factory=dict)
    controllers: dict[int, tuple[float, GateController | None]] = field(default_factory=dict)

    def delta_put(self, key: tuple[int, int, int], doc: dict[str, Any]) -> None:
        if len(self.deltas) >= DELTAS_MAX:
            self.deltas.clear()
        self.deltas[key] = doc

    def controller_put(self, pk: int, read_at: float, controller: GateController | None) -> None:
        if len(self.controllers) > CONTROLLERS_MAX:
            self.controllers.clear()
        self.controllers[pk] = (read_at, controller)

    def controllers_clear(self, **_signal: object) -> None:
        """Forget the controllers read (also a receiver: a controller, gate or community
        was saved or deleted)."""
        self.controllers.clear()

    def clear(self) -> None:
        self.deltas.clear()
        self.controllers.clear()


process_cache = ProcessCache()
