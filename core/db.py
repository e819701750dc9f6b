"""Statements prepared on the server, for the few hot paths that run one statement text
many times a second (a gate's scan, a cached page's stamp).

Django binds parameters on the client (the values go into the statement's text) and
turns psycopg's preparing off (`prepare_threshold` None), so PostgreSQL parses and plans
every statement anew. `prepared_cursor()` gives a cursor that binds on the server and
prepares what it executes: the first execution on a connection parses and plans the
statement (PARSE with a name), later ones only bind and run it. A scan's grant SELECT
(3 joins, 3 subqueries) cost PostgreSQL ≈ 0.29 ms of CPU planned anew against ≈ 0.07 ms
prepared (pgbench, 16 clients, 2026-12-07; docs/riders.md).

Django's connections keep psycopg's threshold at None (nothing prepared, and psycopg
keeps no count of Django's statements, whose text holds their values); the cursor here
lifts it for its own statements only. `DB_PREPARED_STATEMENTS=false` (settings) runs them
unprepared. psycopg keeps a connection's prepared statements (at most `prepared_max`) and
forgets them with the connection and after a rollback; a statement whose first execution
fails stays on the server until the connection closes. A pooler between the portal and
PostgreSQL must pass protocol-level prepared statements on (pgbouncer >= 1.21,
`max_prepared_statements`; docs/scaling.md).

A migration run by another process that changes the type of a column a prepared
statement returns makes PostgreSQL refuse the statement on every connection that
prepared it ("cached plan must not change result type"): the statement is then run once
unprepared when no transaction is open (else the error stands), and the connection is
closed at the end of the request, so the next one prepares afresh.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_THRESHOLD_WHEN_ASKED = 2**31 - 1  # never reached by counting: prepared when asked only
_PLAN_CHANGED = "cached plan must not change result type"


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
        if prepare is None:
            prepare = settings.DB_PREPARED_STATEMENTS
        prepared = self._conn._prepared
        prepared.prepare_threshold = _THRESHOLD_WHEN_ASKED if prepare else None
        try:
            return super().execute(query, params, prepare=prepare, binary=binary)
        except psycopg.errors.FeatureNotSupported as error:
            if not prepare or _PLAN_CHANGED not in str(error):
                raise
            connections[DEFAULT_DB_ALIAS].close_at = 0  # closed at the request's end
            if self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                raise
            prepared.prepare_threshold = None
            return super().execute(query, params, prepare=False, binary=binary)
        finally:
            prepared.prepare_threshold = None  # Django's own statements: never counted

    def _convert_query(self, query: Any, vars: Any = None) -> Any:
        # psycopg names the statement it sent (`_query`, which Django's query log reads)
        # only when it sends it unprepared: name the prepared one too.
        self._query = converted = super()._convert_query(query, vars)
        return converted


def prepared_cursor() -> Any:
    """The default database's prepared-statement cursor, wrapped as Django wraps its
    cursors (query logging and counting see its statements, with their text). One psycopg
    cursor per database connection serves every call (a new one when the connection is
    new). Not to be closed (no `with`): the next call uses it, so fetch its rows before
    calling again. It runs in whatever transaction is open."""
    db = connections[DEFAULT_DB_ALIAS]
    db.close_if_health_check_failed()  # as Django's own cursor() does
    db.ensure_connection()
    pg = db.connection
    kept = getattr(db, "_prepared_cursor", None)
    if kept is None or kept[0] is not pg or kept[1].closed:
        kept = db._prepared_cursor = (pg, PreparedCursor(pg))
    return db._prepare_cursor(kept[1])


def text_storable(value: str) -> bool:
    """Whether PostgreSQL's text can hold `value`: no NUL and no lone surrogate (such as
    "\ud800" decoded from JSON), either of which it refuses with an error, a 500 where a
    look-up by a client's value should simply find nothing."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True
