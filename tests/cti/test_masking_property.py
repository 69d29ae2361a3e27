"""Masking holds wherever personal data comes in and wherever it goes out.

National IDs (valid or not, any case and width) and phone numbers (every
format the directory accepts, full-width included) are generated, written
into random Chinese and English text, and put into the centre the way they
arrive: a directory file through ``cti directory import``, bus messages (a
dial's caller number and IVR values, a wrap-up's notes) through a real server
on the in-process bus with a real SQLite store, and a note through
``cti cases``. Then every output (the JSON-lines log, the errors topic,
``export calls/cases``, ``calls list/show``, ``cases list/show``,
``directory show``) is searched after NFKC normalisation with separators
stripped: no whole ID, and no seven digits in a row of any ID or number.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import string
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from cti.casework.nationalid import national_id
from cti.casework.people import phone_key
from cti.casework.privacy import mask_national_id, mask_phone, mask_text
from cti.cli import main
from cti.clock import ScaledClock
from cti.live import messages as m
from cti.live.logs import make_logger
from cti.store import Store
from routing.centre import Centre
from routing.testing import agency, agent, centre
from tests.cti import live as live_module
from tests.cti.live import Live, live

WINDOW = 7  # this many digits in a row of an ID or a number is a leak
AGENCIES = ("dgpa", "ey")  # agencies of the default centre file, which the CLI reads

# ---------------------------------------------------------------- generators

_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}


def full_width(text: str) -> str:
    return "".join(_FULL_WIDTH.get(ch, ch) for ch in text)


@st.composite
def national_ids(draw: st.DrawFn, *, valid: bool = False) -> str:
    """An ID in the real format; its check digit right or (a third of the time, unless ``valid``) wrong."""
    letter = draw(st.sampled_from(string.ascii_uppercase))
    value = national_id(letter, draw(st.sampled_from((1, 2, 8, 9))), draw(st.integers(0, 9_999_999)))
    if not valid and draw(st.integers(0, 2)) == 0:
        value = value[:-1] + str((int(value[-1]) + 1) % 10)
    return value if _varied(value[1:]) else draw(national_ids(valid=valid))


def written_id(value: str) -> st.SearchStrategy[str]:
    """An ID as someone may type it: upper or lower case, half or full width, or mixed."""
    return st.sampled_from(
        (value, value.lower(), full_width(value), full_width(value.lower()), value[0].lower() + full_width(value[1:]))
    )


_AREAS = ("02", "03", "037", "04", "049", "05", "06", "07", "08", "089", "0836")


def _varied(digits: str) -> bool:
    """At least three different digits in every seven in a row: ``0000000`` is in every timestamp, so it finds
    nothing."""
    return all(len(set(digits[i : i + WINDOW])) >= 3 for i in range(len(digits) - WINDOW + 1))


@st.composite
def dialled_numbers(draw: st.DrawFn) -> str:
    """A Taiwanese number's digits as dialled at home: a mobile or a landline with its area code."""
    return draw(_dialled().filter(_varied))


@st.composite
def _dialled(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return "09" + draw(st.text("0123456789", min_size=8, max_size=8))
    area = draw(st.sampled_from(_AREAS))
    local = 8 if area == "02" else 10 - len(area) if len(area) < 4 else 5
    first = draw(st.sampled_from("23456789"))
    return area + first + draw(st.text("0123456789", min_size=local - 1, max_size=local - 1))


def _groups(digits: str, draw: st.DrawFn) -> list[str]:
    sizes = draw(st.lists(st.integers(2, 4), min_size=1, max_size=4))
    groups, i = [], 0
    for size in sizes:
        if i < len(digits):
            groups.append(digits[i : i + size])
            i += size
    if i < len(digits):
        groups.append(digits[i:])
    return groups


@st.composite
def written_numbers(draw: st.DrawFn, *, bus: bool = False) -> tuple[str, str]:
    """``(digits, as written)``: a number in a format the directory accepts (on the bus: digits, spaces, dashes)."""
    digits = draw(dialled_numbers())
    international = draw(st.booleans())
    national = digits[1:] if international else digits
    seps = (" ", "-", "") if bus else (" ", "-", ".", "/", "", "  ", "\n")
    sep = draw(st.sampled_from(seps))
    groups = _groups(national, draw)
    if not bus and not international and len(groups) > 1 and draw(st.booleans()):
        text = f"({groups[0]})" + draw(st.sampled_from(("", " "))) + sep.join(groups[1:])
    else:
        text = sep.join(groups)
    if international:
        text = "+886" + draw(st.sampled_from((" ", "-", "") if bus else (" ", "-", "", " (0)"))) + text
    if not bus and draw(st.integers(0, 3)) == 0:
        ext = draw(st.text("0123456789", min_size=1, max_size=4))
        text += draw(st.sampled_from(("#", "轉", "分機", " ext. ", "x", " 轉 "))) + ext
    if not bus and draw(st.integers(0, 2)) == 0:
        text = full_width(text)
    written_digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))
    return written_digits, text


_BOUNDARIES = (
    " ",
    "，",
    "、",
    "：",
    "。",
    "\n",
    "（",
    "）",
    "身分證",
    "號",
    "電話",
    ": ",
    "；",
    "手機",
    " tel ",
    "「",
    "」",
)
_WORDS = st.one_of(
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=6),
    st.text(string.ascii_letters, min_size=1, max_size=8),
    st.sampled_from(("call back", "ID", "re:", "回電", "陳先生", "請查明", "密碼重設", "Mr Lin", "第 3 次", "x")),
    st.integers(0, 99).map(str),
)


@st.composite
def text_around(draw: st.DrawFn, items: list[str], max_size: int, *, lines: bool = True) -> str:
    """Random Chinese and English text with ``items`` in it, each with a separator either side.

    Too long, the words go and the items stay whole. ``lines``: line breaks may be separators.
    """
    boundaries = st.sampled_from([b for b in _BOUNDARIES if lines or "\n" not in b])
    parts: list[str] = []
    for item in items:
        parts += [draw(_WORDS), draw(boundaries), item, draw(boundaries)]
    parts.append(draw(_WORDS))
    text = "".join(parts)
    if len(text) > max_size:
        text = " ".join(items)
    assert len(text) <= max_size
    return text


@dataclass
class Secrets:
    """What must not come out whole: national IDs and the digits of numbers."""

    ids: set[str]
    digits: set[str]

    def add_id(self, value: str) -> None:
        self.ids.add(value.upper())
        self.digits.add(value[1:])

    def add_number(self, digits: str) -> None:
        self.digits.add(digits)


@st.composite
def items(draw: st.DrawFn, secrets: Secrets, *, n: int) -> list[str]:
    """``n`` IDs and numbers as written, each remembered in ``secrets``."""
    out = []
    for _ in range(n):
        if draw(st.booleans()):
            value = draw(national_ids())
            secrets.add_id(value)
            out.append(draw(written_id(value)))
        else:
            digits, text = draw(written_numbers())
            secrets.add_number(digits)
            out.append(text)
    return out


# ---------------------------------------------------------------- the search

_SEPARATORS = re.compile(r"[\s()./\\\-+#]")
_DIGIT_RUNS = re.compile(f"[0-9]{{{WINDOW},}}")


def leaks(output: str, secrets: Secrets) -> list[str]:
    """The IDs, and runs of seven digits or more of an ID or number, in ``output`` (NFKC, separators stripped)."""
    flat = _SEPARATORS.sub("", unicodedata.normalize("NFKC", output)).upper()
    found = [i for i in secrets.ids if i in flat]
    runs = _DIGIT_RUNS.findall(flat)
    for digits in secrets.digits:
        windows = {digits[i : i + WINDOW] for i in range(len(digits) - WINDOW + 1)}
        found += [f"{w} (of {digits})" for w in windows if any(w in run for run in runs)]
    return found


# ---------------------------------------------------------------- free text alone


@given(st.data())
@settings(max_examples=400)
def test_mask_text_leaves_no_id_or_number_whole_and_changes_nothing_else(data: st.DataObject) -> None:
    secrets = Secrets(set(), set())
    text = data.draw(text_around(data.draw(items(secrets, n=data.draw(st.integers(1, 4)))), 10_000))
    masked = mask_text(text)
    assert leaks(masked, secrets) == [], (text, masked)
    assert len(masked) == len(text)
    assert all(b in (a, "*") for a, b in zip(text, masked, strict=True))  # only stars are new


@given(written_numbers())
@settings(max_examples=300)
def test_a_phone_field_keeps_only_its_last_three_digits(number: tuple[str, str]) -> None:
    digits, text = number
    masked = unicodedata.normalize("NFKC", mask_phone(text))
    assert re.sub(r"[^0-9]", "", masked) == digits[-3:]
    assert phone_key(text)  # a format the directory accepts


@given(national_ids().flatmap(written_id))
@settings(max_examples=300)
def test_a_national_id_keeps_its_letter_and_last_three_digits_in_any_case_and_width(value: str) -> None:
    masked = unicodedata.normalize("NFKC", mask_national_id(value))
    plain = unicodedata.normalize("NFKC", value)
    assert masked == plain[0] + "******" + plain[-3:]


@pytest.mark.parametrize(
    "text",
    [
        "case C20261122-00012, call c000123, person P0000001",  # ids glued to their letter
        "on 2026-11-22 10:26, 2026/1/5 and 2026.11.22",  # dates
        "1,000,000 元; 3 次; 第 123456 號",  # fewer than seven digits in a row
    ],
)
def test_what_is_no_phone_number_or_id_stays_as_written(text: str) -> None:
    assert mask_text(text) == text


def test_the_digits_a_mask_kept_do_not_join_a_number_after_them() -> None:
    assert mask_text("ID A******789 0912-345-678") == "ID A******789 ****-***-678"
    assert mask_text("**0912345678**") == "*********678**"  # stars typed before a number hide nothing


# ---------------------------------------------------------------- through the centre

CALLS_PER_RUN = 4


def _centre() -> Centre:
    return centre([agent("N1", "nantou", {"webhr": 3})], agencies=[agency(a) for a in AGENCIES], wrap_up_s=5)


def _cli(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert code == 0, (argv, err.getvalue())
    return out.getvalue() + err.getvalue()


@dataclass
class Person:
    person_id: str
    row: list[str]
    bus_number: str  # the mobile as a caller's phone sends it


@st.composite
def people(draw: st.DrawFn, secrets: Secrets) -> list[Person]:
    """Directory rows: numbers in any accepted format, IDs in either case, numbers and IDs in the titles."""
    found: list[Person] = []
    keys: set[str] = set()
    ids: set[str] = set()
    for n in range(draw(st.integers(1, 3))):
        nid = draw(national_ids(valid=True).filter(lambda v: v not in ids))
        ids.add(nid)
        mobile_digits, mobile_bus = draw(written_numbers(bus=True).filter(lambda d: phone_key(d[1]) not in keys))
        keys.add(phone_key(mobile_bus))
        office_digits, office = draw(written_numbers().filter(lambda d: phone_key(d[1]) not in keys))
        keys.add(phone_key(office))
        secrets.add_id(nid)
        secrets.add_number(mobile_digits)
        secrets.add_number(office_digits)
        title = draw(text_around(draw(items(secrets, n=1)), 100, lines=False))
        name = draw(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=4))
        pid = f"P{n + 1:07d}"
        row = [
            pid,
            name,
            AGENCIES[n % 2],
            title,
            office,
            mobile_bus,
            f"p{n}@dgpa.gov.tw",
            draw(st.sampled_from((nid, nid.lower()))),
        ]
        found.append(Person(pid, row, mobile_bus))
    return found


def _csv(rows: Iterable[list[str]]) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["person_id", "name", "agency", "title", "office_phone", "mobile", "email", "national_id"])
    writer.writerows(rows)
    return out.getvalue()


@given(st.data())
@settings(max_examples=10, phases=[Phase.explicit, Phase.generate])  # each runs a centre: not shrunk
def test_no_id_or_number_comes_out_whole_from_any_output_of_the_centre(data: st.DataObject) -> None:
    secrets = Secrets(set(), set())
    directory = data.draw(people(secrets))
    dials = []
    for n in range(CALLS_PER_RUN):
        if n < len(directory) and n % 2 == 0:
            caller = directory[n].bus_number
        else:
            digits, caller = data.draw(written_numbers(bus=True))
            secrets.add_number(digits)
        ivr = {"system": "webhr", "said": data.draw(text_around(data.draw(items(secrets, n=2)), 200))}
        notes = data.draw(text_around(data.draw(items(secrets, n=3)), 2000))
        dials.append((f"c{n}", caller, ivr, notes))
    raw = data.draw(text_around(data.draw(items(secrets, n=2)), 150))
    case_note = data.draw(text_around(data.draw(items(secrets, n=2)), 500))

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "c.db"
        log = io.StringIO()
        asyncio.run(_create(db))
        people_csv = Path(folder) / "people.csv"
        people_csv.write_text(_csv(p.row for p in directory), encoding="utf-8")
        outputs = [_cli("directory", "import", str(people_csv), "--db", str(db))]

        async def script(c: Live) -> None:
            c.agent(m.Login(agent_id="N1"))
            await c.at(1)
            for n, (call_id, caller, ivr, notes) in enumerate(dials):
                t = 1 + 60 * n
                await c.at(t)
                c.dial(call_id, agency=AGENCIES[n % 2], caller=caller, ivr=ivr)
                await c.at(t + 1)
                c.agent(m.Answer(agent_id="N1", call_id=call_id))
                await c.at(t + 5)
                c.agent(m.HangUp(agent_id="N1", call_id=call_id))
                await c.at(t + 6)
                c.agent(m.WrapUp(agent_id="N1", call_id=call_id, disposition="how-to", notes=notes))
                await c.at(t + 20)
            c.bus.publish_raw(m.TRUNK_IN, ('{"type": "dial", "caller": "' + raw).encode())
            await c.at(300)

        with mock.patch.object(live_module, "make_logger", lambda clock: make_logger(clock, log)):
            centre_ = live(_centre(), db, script)
        errors = centre_.errors()
        assert errors, "the bad payload is answered on the errors topic"
        outputs += [f"{e.reason} {e.topic} {e.excerpt}" for e in errors]
        offers = [o for _, o in centre_.offers()]
        assert len(offers) == CALLS_PER_RUN
        outputs.append(log.getvalue())
        assert "call_arrived" in log.getvalue()

        args = ("--db", str(db))
        case_ids = [c.case_id for c in centre_.calls.values() if c.case_id]
        later = ("--at", "2027-01-15T17:00:00+08:00")  # after the run (START is 16:00 in Taipei)
        _cli("cases", "reopen", case_ids[0], "--note", case_note, *later, *args)
        _cli("cases", "close", case_ids[0], "--note", case_note, *later, *args)
        outputs += [
            _cli("export", "calls", *args),
            _cli("export", "cases", *args),
            _cli("calls", "list", *args),
            _cli("calls", "list", "--json", *args),
            _cli("calls", "list", "--csv", *args),
            _cli("cases", "list", *args),
            _cli("cases", "list", "--json", *args),
        ]
        for call_id, *_ in dials:
            outputs += [_cli("calls", "show", call_id, *args), _cli("calls", "show", call_id, "--json", *args)]
        for case_id in case_ids:
            outputs += [_cli("cases", "show", case_id, *args), _cli("cases", "show", case_id, "--json", *args)]
        for person in directory:
            outputs += [_cli("directory", "show", person.bus_number, *args)]
            outputs += [_cli("directory", "show", person.bus_number, "--json", *args)]

    found = {(leak, output[:2000]) for output in outputs for leak in leaks(output, secrets)}
    assert found == set()
    # The agent's pop shows numbers, to call back, but never a national ID.
    ids_seen = {leak for o in offers for leak in leaks(repr(o.pop), Secrets(secrets.ids, set()))}
    assert ids_seen == set()


async def _create(db: Path) -> None:
    store = await Store.open(db, ScaledClock(0.0))
    await store.close()
