"""Finding the line of a field in a centre file, for error messages."""

from cti.config import locate

TEXT = """\
[center]
name = "x"

[[agents]]
id = "A"
skills = { webhr = 3, ecpa = 9 }

[[agents]]
id = "B"

[agents.skills]
webhr = 2
"""


def test_a_key_inside_an_inline_table_is_found_on_its_line() -> None:
    """agents[0].skills.ecpa is on the line of the inline skills table."""
    assert locate(TEXT, "agents[0].skills.ecpa") == 6


def test_a_subtable_of_an_array_element_belongs_to_that_element() -> None:
    """[agents.skills] after the second [[agents]] holds agents[1].skills."""
    assert locate(TEXT, "agents[1].skills.webhr") == 12


def test_a_missing_key_falls_back_to_its_table() -> None:
    """A field that is not in the file is reported at its nearest enclosing table."""
    assert locate(TEXT, "agents[1].name") == 8
    assert locate(TEXT, "center.timezone") == 1


def test_an_unknown_path_has_no_line() -> None:
    assert locate(TEXT, "routing.strategy") is None


def test_line_separators_inside_strings_do_not_shift_line_numbers() -> None:
    """TOML lines end at newline only; a U+2028 inside a comment or string is not a line break."""
    text = '# note\u2028more\n[center]\nname = "a\u2029b"\n[routing]\nstrategy = "x"\n'
    assert locate(text, "routing.strategy") == 5


def test_quoted_keys_are_found() -> None:
    """A quoted key, even with non-ASCII letters, is located on its own line."""
    text = '[center]\nname = "x"\n"時區" = "Asia/Taipei"\n'
    assert locate(text, "center.時區") == 3


def test_tables_written_inside_a_multi_line_string_are_not_counted() -> None:
    """Text that looks like a table inside a multi-line string does not shift array numbering."""
    text = '[center]\nnote = """\n[[agents]]\n"""\n\n[[agents]]\nid = "A"\nskills = { webhr = 9 }\n'
    assert locate(text, "agents[0].skills.webhr") == 8


def test_each_value_of_a_multi_line_array_is_found_on_its_line() -> None:
    """A list written one value a line (the holidays) names the line of the bad value, comments and all."""
    text = (
        '[hours]\nholidays = [\n    "2027-01-01",  # new year, "quoted"\n\n    "2027-02-30", "2027-03-01",\n]\nx = 1\n'
    )
    assert locate(text, "hours.holidays[0]") == 3
    assert locate(text, "hours.holidays[1]") == 5
    assert locate(text, "hours.holidays[2]") == 5
    assert locate(text, "hours.x") == 7
    assert locate('[a]\nb = ["x",\n  "y"]\n', "a.b[1]") == 3
