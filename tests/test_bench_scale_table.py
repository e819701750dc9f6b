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


def test_bench_scale_prints_the_work_floor_and_registration_bars_on_both_data_sets():
    from bench.scale.run import bars_table

    def bench_run(ratio: float, multiple: float, registration_p95: float) -> dict:
        return {
            "rows": [
                {"scenario": "floor", "rps": 2000.0},
                {"scenario": "work_floor", "rps": 400.0},
                {
                    "scenario": "scan_verify",
                    "rps": 400.0 * ratio,
                    "reference": "work_floor",
                    "reference_ratio": ratio,
                    "reference_ratio_target": 0.75,
                    "reference_p95_multiple": multiple,
                    "reference_p95_target": 1.5,
                },
                {
                    "scenario": "registration",
                    "server_p95_ms": registration_p95,
                    "server_p95_target_ms": 50.0,
                },
            ],
            "offline": {
                "entries": 50000,
                "p50_ms": 0.1,
                "p95_ms": 0.2,
                "scans_per_core_s": 8000,
                "p95_target_ms": 5.0,
            },
        }

    pairs = [
        (bench_run(0.80, 1.2, 40.0), bench_run(0.70, 1.4, 45.0)),
        (bench_run(0.78, 1.3, 42.0), bench_run(0.76, 1.6, 60.0)),
        (bench_run(0.90, 1.1, 44.0), bench_run(0.77, 1.3, 48.0)),
    ]
    text, ok = bars_table(pairs)
    lines = {line.split("  ")[0].strip(): line for line in text.splitlines()}
    ratio = lines["scan_verify / work_floor requests/s"]
    assert "0.8 [0.8, 0.78, 0.9]" in ratio and "0.76 [0.7, 0.76, 0.77]" in ratio
    assert ratio.endswith("pass/pass")
    assert lines["scan_verify server p95 / work_floor's"].endswith("pass/pass")  # 1.2 / 1.4
    assert lines["registration server p95 ms"].endswith("pass/pass")  # medians 42 / 48
    assert "8,000 scans/s per core  bar p95 <= 5 ms  pass" in text
    assert ok
    pairs[1] = (bench_run(0.78, 1.3, 42.0), bench_run(0.60, 1.6, 60.0))
    pairs[2] = (bench_run(0.90, 1.1, 44.0), bench_run(0.70, 1.3, 55.0))
    text, ok = bars_table(pairs)
    assert not ok
    assert "pass/fail" in text
