"""Leaks and bypasses of the masking, the bus gate, CSV cells and the log path, one test each.

Numbers glued to a word, IDs written with dashes or spaces, JSON-escaped
payloads on the errors topic, a caller-chosen agency shown in views, bidi
overrides from the bus, controls in CSV, and the log written over one of the
database's own files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cti.casework.privacy import mask_record, mask_text
from cti.cli import main
from cti.cli.output import csv_safe
from cti.live import messages as m
from tests.cti.test_bus_limits import refusal


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("tel0912345678", "tel*******678"),
        ("mobile0912345678", "mobile*******678"),
        ("lin0912345678@yahoo.com.tw", "lin*******678@yahoo.com.tw"),
        ("ｔｅｌ０９１２３４５６７８", "ｔｅｌ*******６７８"),
        ("no0912345678", "no*******678"),
    ],
)
def test_a_number_glued_to_a_word_is_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("A123-456-789", "A***-***-789"),
        ("A123 456 789", "A*** *** 789"),
        ("A1234-56789", "A****-**789"),
        ("Ａ１２３－４５６－７８９", "Ａ***－***－７８９"),
        ("身分證a123-456-789號", "身分證a***-***-789號"),
    ],
)
def test_a_national_id_written_with_dashes_or_spaces_is_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text", ["C20261122-00012", "case C20261122-00012 of P0001234", "on 2026-11-22 10:26", "call r12-000345"]
)
def test_the_centre_s_own_ids_and_dates_stay_as_written(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps(
            {
                "type": "wrap-up",
                "agent_id": "N01",
                "call_id": "c1",
                "disposition": "how-to",
                "notes": "身分證A123456789號 電話0912345678",
                "action": "bogus!",
            }
        ),
        json.dumps({"type": "dial", "call_id": "c1", "caller": "\\u0030912345678"}).replace("\\\\", "\\"),
    ],
)
def test_an_error_excerpt_of_json_escaped_text_is_masked(payload: str) -> None:
    assert "\\u" in payload  # the sender wrote its text as JSON escapes
    error = refusal(m.agent_cmd("N01") if "wrap-up" in payload else m.TRUNK_IN, payload.encode())
    shown = json.loads(json.dumps(error.excerpt))
    assert "123456789" not in shown
    assert "0912345" not in shown.replace("*", "")


def test_a_caller_chosen_agency_or_system_is_masked_in_views() -> None:
    row = {"call_id": "u1", "system": "A123456789", "agency": "0912345678", "queue": "general"}
    assert mask_record(row) == {"call_id": "u1", "system": "A******789", "agency": "*******678", "queue": "general"}


@pytest.mark.parametrize("mark", ["\u202e", "\u2066", "\u200f", "\u061c"])
def test_bidirectional_overrides_are_refused_on_the_bus(mark: str) -> None:
    wrap_up = {"type": "wrap-up", "agent_id": "N01", "call_id": "c1", "disposition": "how-to", "notes": f"ok{mark}x"}
    error = refusal(m.agent_cmd("N01"), json.dumps(wrap_up).encode())
    assert error.code == "invalid-message"
    assert "notes" in error.reason


@pytest.mark.parametrize("cell", ["\x1b[31mred", "a\x07b", "\u202eevil", "tab\there"])
def test_a_csv_cell_carries_no_control_character_or_override(cell: str) -> None:
    safe = csv_safe(cell)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in safe)


def _demo(tmp_path: Path, db: str, log: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    os.chdir(tmp_path)
    code = main(["demo", "--speed", "max", "--minutes", "5", "--db", db, "--log", log, "-q"])
    return code, capsys.readouterr().err


def test_the_log_cannot_be_a_hard_link_to_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "h.db").touch()
    os.link(tmp_path / "h.db", tmp_path / "hl")
    code, err = _demo(tmp_path, "h.db", "hl", capsys)
    assert code == 2
    assert "would also be the log" in err
    assert (tmp_path / "h.db").stat().st_size == 0  # nothing written


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_the_log_cannot_be_one_of_the_database_s_own_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    code, err = _demo(tmp_path, "w.db", f"w.db{suffix}", capsys)
    assert code == 2
    assert f"database's own {suffix[1:]} file" in err
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize("mark", ["\u200b", "\ufeff", "\u2060"])
def test_invisible_format_characters_are_refused_on_the_bus(mark: str) -> None:
    error = refusal(
        m.agent_cmd("N01"), json.dumps({"type": "not-ready", "agent_id": "N01", "reason": f"a{mark}b"}).encode()
    )
    assert error.code == "invalid-message"


@pytest.mark.parametrize(
    "caller",
    [
        b'"0912\\u200b345678"',  # split by an escaped zero-width space
        b'"0912\x00345678"',  # split by NUL
        b'"0912\xff345678"',  # split by a byte that is not UTF-8
        b'"\\u0030\\u0039\\u0031\\u0032345678"',  # every digit escaped
    ],
)
def test_a_number_split_or_escaped_in_a_refused_payload_is_masked_in_the_excerpt(caller: bytes) -> None:
    error = refusal(m.TRUNK_IN, b'{"type":"dial","call_id":"c1","caller":' + caller + b"}")
    assert "*******678" in error.excerpt
    assert "0912" not in error.excerpt


def test_a_size_in_an_error_reason_is_not_taken_for_a_phone_number() -> None:
    error = refusal(m.TRUNK_IN, b'{"type":"dial","pad":"' + b"x" * 20_000 + b'"}')
    assert error.code == "too-large"
    assert "20,0" in error.reason
    assert "*" not in error.reason


def test_a_payload_that_is_not_utf8_is_refused_even_inside_an_unknown_field_s_name() -> None:
    payload = b'{"type":"new-call","call_id":"c0","dialled":"1999","agency":"a1","chan\xff\xfenel":"voice",'
    payload += b'"system":"webhr","caller":"+886 2 2222 3333"}'
    error = refusal(m.PBX_IN, payload)
    assert error.code == "not-json"
    assert "not UTF-8" in error.reason
