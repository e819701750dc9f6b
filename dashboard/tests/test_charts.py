"""Charts are SVG with a title and a description a screen reader can say, labels escaped."""

import datetime as dt

from django.utils import timezone, translation

from dashboard import charts


def test_entries_chart_describes_total_and_busiest_hour():
    start = timezone.localtime().replace(month=3, day=1, hour=0, minute=0, second=0, microsecond=0)
    hourly = [(start + dt.timedelta(hours=h), h % 5) for h in range(48)]
    with translation.override("en"):
        svg = charts.entries_per_hour("x", "Entries", hourly)
    assert svg.startswith('<svg class="chart" id="x"')
    assert 'role="img" aria-labelledby="x-title x-desc"' in svg
    assert '<title id="x-title">Entries</title>' in svg
    total = sum(n for _, n in hourly)
    assert f"{total} entries in all; the busiest hour was 03-01 04:00 with 4." in svg
    assert svg.count('class="chart__bar"') == sum(1 for _, n in hourly if n)
    assert ">03-02<" in svg  # the second midnight is labelled


def test_empty_chart_says_so():
    with translation.override("en"):
        svg = charts.histogram("h", "Time inside", ["a", "b"], [0, 0], "minutes")
    assert "No data for this period." in svg
    assert "<rect" not in svg


def test_bar_labels_are_escaped():
    svg = charts.horizontal_bars("b", "Lag", [("<script>alert(1)</script>", 3, "3 & more")])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "3 &amp; more" in svg
