from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed by the dev, test and bench settings for its management commands
    (`generate_load_data`, `vote_bench`); never in production."""

    name = "bench"
    verbose_name = "Benchmarks"
