"""Statements prepared on the server, for the few hot paths that run one statement text
many times a second (a gate's scan, a cached page's stamp).

Django binds parameters on the client (the values go into the statement's text) and
turns psycopg's preparing off (`prepare_threshold` None), so PostgreSQL parses and plans
every statement anew. `prepared_cursor()` gives a cursor that binds on the server and
prepares what it executes: the first execution on a connection parses and plans the
statement (PARSE with a name), later ones only bind and run it. A scan's grant SELECT
(3 joins, 3 subqueries) cost PostgreSQL ≈ 0.29 ms of CPU planned anew against ≈ 0.07 ms
prepared (pgbench, 16 clients, 2026-12-07; docs/riders.md).

The settings set psycopg's threshold to a number never reached (portal/settings/base.py),
so only statements executed here are prepared, never Django's by count; with
DB_PREPARED_STATEMENTS=false it stays None and these statements run unprepared. psycopg
keeps a connection's prepared statements (at most `prepared_max`), forgets them with the
connection and after a rollback; a pooler between the portal and PostgreSQL must pass
protocol-level prepared statements on (pgbouncer >= 1.21, `max_prepared_statements`;
docs/scaling.md).
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections


class PreparedCursor(psycopg.Cursor):
    """A psycopg cursor that binds on the server and prepares every statement it runs."""

    def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Any:
        return super().execute(
            query, params, prepare=True if prepare is None else prepare, binary=binary
        )

    def _convert_query(self, query: Any, vars: Any = None) -> Any:
        # psycopg names the statement it sent (`_query`, which Django's query log reads)
        # only when it sends it unprepared: name the prepared one too.
        self._query = converted = super()._convert_query(query, vars)
        return converted


def prepared_cursor() -> Any:
    """The default database's prepared-statement cursor, wrapped as Django wraps its
    cursors (query logging and counting see its statements, with their text). One psycopg
    cursor per database connection serves every call (a new one when the connection is
    new). Not to be closed (no `with`): the next call uses it. Its statements must not
    change meaning with the transaction: it runs in whatever transaction is open."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    pg = db.connection
    kept = getattr(db, "_prepared_cursor", None)
    if kept is None or kept[0] is not pg or kept[1].closed:
        kept = db._prepared_cursor = (pg, PreparedCursor(pg))
    return db._prepare_cursor(kept[1])
