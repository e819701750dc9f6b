"""bench-scale's table (bench/scale/run.py): medians over alternations of small and large
runs, each large run compared with the small run just before it."""

from bench.scale.run import table


def _run(**rows: tuple[float, float, int]) -> dict:
    """rows: scenario -> (p50 ms, ratio to floor, errors)."""
    return {
        "rows": [{"scenario": "floor", "p50_ms": 1.0, "ratio": 1.0, "errors": 0}]
        + [
            {"scenario": name, "p50_ms": p50, "ratio": ratio, "errors": errors}
            for name, (p50, ratio, errors) in rows.items()
        ]
    }


def test_the_median_of_paired_ratios_decides_not_one_noisy_pass():
    pairs = [
        (_run(scan=(10.0, 0.20, 0)), _run(scan=(11.0, 0.19, 0))),
        # a burst of load during this large run only: alone it would fail
        (_run(scan=(10.0, 0.20, 0)), _run(scan=(30.0, 0.07, 0))),
        (_run(scan=(12.0, 0.18, 0)), _run(scan=(12.0, 0.18, 0))),
    ]
    text, ok, rows = table(pairs)
    assert ok
    (row,) = rows
    assert row["p50_ratio"] == 1.1  # median of 1.1, 3.0, 1.0
    assert row["p50_ratios"] == [1.1, 3.0, 1.0]
    assert row["slowdown"] == 1.053  # median of 1.053, 2.857, 1.0
    assert "1.00-3.00" in text and "pass" in text


def test_a_scenario_slower_in_most_alternations_fails():
    pairs = [
        (_run(vote=(10.0, 0.10, 0)), _run(vote=(20.0, 0.05, 0))),
        (_run(vote=(10.0, 0.10, 0)), _run(vote=(19.0, 0.05, 0))),
        (_run(vote=(10.0, 0.10, 0)), _run(vote=(10.0, 0.10, 0))),
    ]
    _text, ok, rows = table(pairs)
    assert not ok and rows[0]["pass"] is False


def test_errors_in_any_run_fail_the_scenario():
    pairs = [(_run(reg=(10.0, 0.1, 0)), _run(reg=(10.0, 0.1, 2)))]
    text, ok, rows = table(pairs)
    assert not ok and rows[0]["errors"] == 2 and "(errors)" in text
