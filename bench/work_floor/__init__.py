"""The work floor: the least a correct online scan must do, on the same gunicorn, database
and Redis as the portal, with no app middleware and none of the portal's code. Online
verification (`scan_verify`) is judged against it (docs/benchmarks.md)."""
