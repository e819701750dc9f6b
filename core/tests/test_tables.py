"""The one table reader of the imports (core.tables): bounded columns and rows while
iterating, whatever a workbook declares (issue #16 item 6)."""

from __future__ import annotations

import pytest

from communities.tests.factories import xlsx_padded
from core import tables

pytestmark = pytest.mark.usefixtures("english")  # messages asserted in English


def test_a_padded_xlsx_is_read_within_bounded_rows_and_columns():
    data = xlsx_padded([["house", "name"], ["7-2-1503", "王芳"]])  # far row at 1,048,576
    assert len(data) < 8_000
    stats = tables.TableStats()
    with pytest.raises(tables.TableError, match="more than 1000 empty rows"):
        tables.table_read("roll.xlsx", data, stats=stats)
    # it stops past the blank-row allowance instead of padding a million rows
    assert stats.rows_read == 2 + tables.BLANK_ROWS_ALLOWED + 1


def test_blank_rows_within_the_allowance_are_skipped_and_rows_are_cut_to_max_cols():
    data = xlsx_padded([["house", "name"], ["7-2-1503", "王芳"]], far_row=500)
    stats = tables.TableStats()
    rows = tables.table_read("roll.xlsx", data, stats=stats)
    assert rows == [["house", "name"], ["7-2-1503", "王芳"]]  # the XFD cell is beyond MAX_COLS
    assert stats.rows_read == 500


def test_csv_rows_are_cut_to_max_cols_and_counted():
    data = ("a," * 10_000 + "\n\n\n" + "b,c\n").encode()
    stats = tables.TableStats()
    rows = tables.table_read("t.csv", data, stats=stats)
    assert [len(r) for r in rows] == [tables.MAX_COLS, 2]
    assert stats.rows_read == 4  # the two blank lines included


def test_a_number_cell_reads_as_the_digits_typed():
    rows = tables.table_read("t.xlsx", xlsx_padded([[13800000001.0, 7.5]], far_row=3))
    assert rows == [["13800000001", "7.5"]]


def test_an_unknown_file_type_is_refused():
    with pytest.raises(tables.TableError, match="csv or .xlsx"):
        tables.table_read("roll.ods", b"x")


def test_rows_of_spaces_count_as_blank_and_reading_stops_at_a_bounded_row_count():
    """Red team: millions of rows whose cells are a space skipped the blank-row check (a
    1.1-million-row upload held a worker past its timeout)."""
    spaces = ("house,name\n" + " , \n" * 5_000).encode()
    stats = tables.TableStats()
    with pytest.raises(tables.TableError, match="more than 1000 empty rows"):
        tables.table_read("t.csv", spaces, stats=stats)
    assert stats.rows_read == 1 + tables.BLANK_ROWS_ALLOWED + 1
    # Rows with content stop at the limit too (here max_rows=10): 10 + header + allowance.
    full = ("house,name\n" + "7-2-1503,王芳\n" * 2_000).encode()
    stats = tables.TableStats()
    with pytest.raises(tables.TableError, match="more than 10 rows"):
        tables.table_read("t.csv", full, stats=stats, max_rows=10)
    assert stats.rows_read <= 10 + 1 + tables.BLANK_ROWS_ALLOWED + 1
