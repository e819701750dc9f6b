"""The house-number parser: the ways riders type a home all read the same."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from communities.housenumber import HouseNumber, house_number_parse, normalize

# Identifiers as signs show them: digits without a leading zero, maybe a letter after.
numbers = st.integers(min_value=1, max_value=9999).map(str)
buildings = st.one_of(
    numbers,
    st.tuples(numbers, st.sampled_from("ABCD")).map("".join),
)
rooms = st.integers(min_value=101, max_value=99999).map(str)

FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"}


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


FULL_FORMS = [
    "{b}-{e}-{r}",
    "{b}栋{e}单元{r}室",
    "{b}号楼{e}单元{r}",
    "{b}幢{e}单元{r}号",
    "{b}栋 {e}单元 {r}",
    "Bldg {b} Unit {e} Room {r}",
    "Building {b}, Unit {e}, Room {r}",
    "BLK {b} Entrance {e} Apt #{r}",
    "{b} {e} {r}",
    "{b}/{e}/{r}",
    "{b}#{e}-{r}",
]
BUILDING_FORMS = ["{b}", "{b}栋", "{b}幢", "{b}号楼", "{b}座", "{b}号", "Building {b}", "bldg {b}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7-2-1503", HouseNumber("7", "2", "1503")),
        ("7栋2单元1503室", HouseNumber("7", "2", "1503")),
        ("7号楼2单元1503", HouseNumber("7", "2", "1503")),
        ("7幢", HouseNumber("7")),
        ("Building 7", HouseNumber("7")),
        ("Bldg 7 Unit 2 Room 1503", HouseNumber("7", "2", "1503")),
        ("７－２－１５０３", HouseNumber("7", "2", "1503")),
        ("７栋２单元１５０３室", HouseNumber("7", "2", "1503")),
        ("七栋二单元", HouseNumber("7", "2")),
        ("十二幢", HouseNumber("12")),
        ("二十三号楼", HouseNumber("23")),
        ("7-1503", HouseNumber("7", None, "1503")),
        ("7栋1503", HouseNumber("7", None, "1503")),
        ("7栋2单元1503号", HouseNumber("7", "2", "1503")),
        ("07-02-0503", HouseNumber("7", "2", "0503")),
        ("7A-2-301", HouseNumber("7A", "2", "301")),
        ("a栋", HouseNumber("A")),
        ("Bldg7", HouseNumber("7")),
        ("Blk 12, Unit 3, Rm #402", HouseNumber("12", "3", "402")),
        ("  7 — 2 — 1503  ", HouseNumber("7", "2", "1503")),
        ("7-2单元-1503", HouseNumber("7", "2", "1503")),
    ],
)
def test_examples(text, expected):
    assert house_number_parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "where is the shop",
        "2单元1503",
        "Room 1503",
        "1-2-3-4",
        "7栋8栋",
        "Room 7栋",
        "7" * 100,
        "---",
        "栋",
    ],
)
def test_what_is_not_a_house_number_reads_as_none(text):
    assert house_number_parse(text) is None


@given(b=buildings, e=numbers, r=rooms, form=st.sampled_from(FULL_FORMS))
@example(b="7", e="2", r="1503", form="{b}栋{e}单元{r}室")
def test_every_written_form_of_a_full_house_number_reads_the_same(b, e, r, form):
    text = form.format(b=b, e=e, r=r)
    assert house_number_parse(text) == HouseNumber(b, e, r)


@given(b=buildings, form=st.sampled_from(BUILDING_FORMS))
def test_every_written_form_of_a_building_reads_the_same(b, form):
    assert house_number_parse(form.format(b=b)) == HouseNumber(b)


@given(b=buildings, e=numbers, r=rooms, form=st.sampled_from(FULL_FORMS + BUILDING_FORMS))
def test_full_width_text_reads_like_ascii(b, e, r, form):
    text = form.format(b=b, e=e, r=r)
    assert house_number_parse(full_width(text)) == house_number_parse(text)


@given(b=buildings, e=st.none() | numbers, r=rooms)
def test_the_canonical_label_reads_back_to_the_same_house_number(b, e, r):
    house = HouseNumber(b, e, r)
    assert house_number_parse(str(house)) == house


@given(b=numbers, zeros=st.integers(min_value=1, max_value=3))
def test_leading_zeros_of_a_building_do_not_matter(b, zeros):
    assert house_number_parse("0" * zeros + b + "栋") == HouseNumber(b)


@given(st.text(max_size=120))
def test_any_text_either_reads_or_is_none_and_never_raises(text):
    result = house_number_parse(text)
    assert result is None or (isinstance(result, HouseNumber) and result.building)


@given(st.text(max_size=60))
def test_normalizing_twice_changes_nothing(text):
    assert normalize(normalize(text)) == normalize(text)
