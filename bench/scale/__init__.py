"""Scale: a generated data set of the issue's size (`manage.py generate_load_data`), and
`python -m bench.scale.run` (`make bench-scale`), which runs the bench's scenarios on the
small demo data and on the large set and prints both with their ratio (docs/scaling.md)."""
