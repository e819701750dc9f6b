"""How the portal's PostgreSQL connections are set up."""

from django.db import connection


def test_postgresql_connections_run_without_jit(db):
    """A dashboard query of 6 ms took 0.38 s when its (stale) cost estimate made
    PostgreSQL compile it: the portal's short queries never want JIT."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
