"""`make bench`: the portal and a bare-Django floor under the same gunicorn, loaded by the
same client, reported as ratios to the floor measured in the same run (see
docs/benchmarks.md)."""
