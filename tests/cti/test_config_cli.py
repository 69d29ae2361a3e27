"""`cti config default` and `cti config check`: the shipped centre, summaries, and clear refusals."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cti.config import default_centre_text, load_default

ANSI = re.compile(r"\x1b\[")


def cti(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cti", *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_config_default_prints_the_shipped_file_as_plain_toml() -> None:
    """`cti config default` writes the shipped file verbatim: valid TOML, no colour codes, exit 0."""
    out = cti("config", "default")
    assert out.returncode == 0
    assert out.stdout == default_centre_text()
    assert not ANSI.search(out.stdout)
    assert tomllib.loads(out.stdout)["center"]["timezone"] == "Asia/Taipei"


def test_the_installed_cti_script_runs() -> None:
    """The `cti` console script is installed beside the interpreter and works."""
    script = Path(sys.executable).with_name("cti")
    out = subprocess.run([str(script), "config", "default"], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0
    assert "[[agents]]" in out.stdout


def test_config_check_summarises_the_default_centre(tmp_path: Path) -> None:
    """Checking the default prints sites, seats and the skills matrix, with no warnings, exit 0."""
    path = tmp_path / "centre.toml"
    path.write_text(default_centre_text(), encoding="utf-8")
    out = cti("config", "check", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    for text in ("Sites and seats", "nantou", "taipei", "Skills matrix", "webhr", "T06*", "Agencies: 52"):
        assert text in out.stdout


def test_config_check_json_is_machine_readable() -> None:
    """`--json` prints one JSON document with seats per site and the routing rules."""
    out = cti("config", "check", "-", "--json", stdin=default_centre_text())
    assert out.returncode == 0
    doc = json.loads(out.stdout)
    assert doc["valid"] is True
    assert {s["site_id"]: (s["voice_seats"], s["backup_seats"], s["email_seats"]) for s in doc["sites"]} == {
        "nantou": (5, 0, 3),
        "taipei": (6, 1, 0),
    }
    assert doc["routing"]["strategy"] == "longest-idle"


def test_the_default_centre_models_the_dgpa_hotline() -> None:
    """Nantou N01-N05 voice + E01-E03 e-mail, Taipei T01-T06 with T06 backup, 12+ systems, 40+ agencies."""
    centre = load_default().centre
    assert [s.id for s in centre.sites] == ["nantou", "taipei"]
    by_id = {a.id: a for a in centre.agents}
    assert sorted(by_id) == sorted(
        [f"N0{i}" for i in range(1, 6)] + [f"E0{i}" for i in range(1, 4)] + [f"T0{i}" for i in range(1, 7)]
    )
    assert all(by_id[f"N0{i}"].site == "nantou" and by_id[f"N0{i}"].voice for i in range(1, 6))
    assert all(by_id[f"E0{i}"].site == "nantou" and not by_id[f"E0{i}"].voice for i in range(1, 4))
    assert all(by_id[f"T0{i}"].site == "taipei" and by_id[f"T0{i}"].voice for i in range(1, 7))
    assert [a.id for a in centre.agents if a.backup] == ["T06"]
    assert len(centre.systems) >= 12
    assert len(centre.agencies) >= 40
    assert len({a.group for a in centre.agencies}) >= 4
    assert {a.prefer_site for a in centre.agencies} >= {"nantou", "taipei", None}
    voice = [a for a in centre.agents if a.voice]
    assert len({tuple(sorted(a.skills.items())) for a in voice}) == len(voice)  # no two agents alike
    nantou = {s for a in voice if a.site == "nantou" for s in a.skills}
    taipei = {s for a in voice if a.site == "taipei" for s in a.skills}
    assert nantou - taipei, "Nantou serves systems Taipei does not"
    assert taipei - nantou, "Taipei serves systems Nantou does not"
    assert centre.warnings() == []


def mutate(pattern: str, replacement: str) -> str:
    text, n = re.subn(pattern, replacement, default_centre_text(), count=1, flags=re.MULTILINE)
    assert n == 1, pattern
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


BAD = [
    # (pattern, replacement, line containing, expected message fragments)
    (
        r"skills = \{ webhr = 5, pemis2k = 5",
        "skills = { webhr = 7, pemis2k = 5",
        "webhr = 7",
        ["agents[0].skills.webhr", "skill level out of range", "got 7", "from 1 to 5"],
    ),
    (
        r"skills = \{ lifelong = 5",
        "skills = { lifelongx = 5",
        "lifelongx",
        ["agents[8].skills.lifelongx", "unknown system", "'lifelongx'"],
    ),
    (
        r'^site = "taipei"',
        'site = "kaohsiung"',
        'site = "kaohsiung"',
        ["agents[8].site", "unknown site", "'kaohsiung'", "nantou, taipei"],
    ),
    (r'^id = "N02"', 'id = "N01"\n', None, ["agents[1].id", "duplicate id", "'N01'"]),
    (
        r'^strategy = "longest-idle"',
        'strategy = "fastest"',
        "fastest",
        ["routing.strategy", "unknown strategy", "'fastest'", "'best-skill'"],
    ),
    (
        r"^ring_timeout_s = 15",
        "ring_timeout = 15",
        "ring_timeout = 15",
        ["routing.ring_timeout", "unknown key", "ring_timeout_s"],
    ),
    (r'^name = "林志豪"\n', "", None, ["agents[1].name", "missing required field"]),
    (r'^id = "webhr"', "id webhr", "id webhr", ["TOML syntax error"]),
    (r'^timezone = "Asia/Taipei"', 'timezone = "Asia/Taipe"', "Asia/Taipe", ["center.timezone", "unknown time zone"]),
    (r'^group = "central"', 'group = "ministry"', "ministry", ["agencies[0].group", "'ministry'", "'municipal'"]),
    (r"^max_no_answer = 3 ", 'max_no_answer = "three" ', "three", ["routing.max_no_answer", "wrong type", "'three'"]),
    (r"^backup = true", 'backup = "yes"', 'backup = "yes"', ["agents[13].backup", "true or false"]),
]


@pytest.mark.parametrize(("pattern", "replacement", "needle", "fragments"), BAD, ids=[b[3][0] for b in BAD])
def test_a_broken_file_is_refused_with_one_clear_line(
    tmp_path: Path, pattern: str, replacement: str, needle: str | None, fragments: list[str]
) -> None:
    """A bad centre file exits 1 with one line naming file, line, field, value and expectation; no traceback."""
    text = mutate(pattern, replacement)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    out = cti("config", "check", str(path))
    assert out.returncode == 1
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    message = lines[0]
    assert "Traceback" not in message
    match = re.match(rf"cti: {re.escape(str(path))}:(\d+): ", message)
    assert match, message
    if needle is not None:
        assert int(match.group(1)) == line_of(text, needle)
    for fragment in fragments:
        assert fragment in message


def test_a_missing_field_points_at_its_table() -> None:
    """A missing required field is reported at the line of the [[agents]] table that lacks it."""
    text = mutate(r'^name = "林志豪"\n', "")
    out = cti("config", "check", "-", stdin=text)
    line = int(re.search(r"<stdin>:(\d+):", out.stderr).group(1))  # type: ignore[union-attr]
    assert text.splitlines()[line - 1] == "[[agents]]"
    assert text.splitlines()[line] == 'id = "N02"'


def test_an_unserved_system_is_a_warning_not_an_error() -> None:
    """A system no voice agent can serve is accepted (exit 0) with a warning on stderr."""
    text = default_centre_text() + '\n[[systems]]\nid = "newsys"\nname = "新系統"\n'
    out = cti("config", "check", "-", "-q", stdin=text)
    assert out.returncode == 0
    assert "warning:" in out.stderr
    assert "'newsys'" in out.stderr


def test_an_agent_with_no_skills_is_accepted() -> None:
    """An agent with an empty skill set is valid; the check only warns that it takes general-queue calls only."""
    text = mutate(r"skills = \{ lifelong = 5, elearn = 5, ecpa = 4, mydata = 3 \}", "skills = {}")
    out = cti("config", "check", "-", "-q", stdin=text)
    assert out.returncode == 0
    assert "'T01' has no skills" in out.stderr


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [("missing", "no such file"), ("directory", "is a directory"), ("binary", "not UTF-8")],
)
def test_unreadable_files_are_refused_clearly(tmp_path: Path, setup: str, fragment: str) -> None:
    """A missing file, a directory or a non-UTF-8 file gives one line and exit 1."""
    path = tmp_path / "centre.toml"
    if setup == "directory":
        path.mkdir()
    elif setup == "binary":
        path.write_bytes(b"\xff\xfe\x00")
    out = cti("config", "check", str(path))
    assert out.returncode == 1
    assert out.stderr.strip() == f"cti: {path}: {out.stderr.strip().split(': ', 2)[2]}"
    assert fragment in out.stderr


def test_a_command_line_mistake_exits_2_with_usage() -> None:
    """A missing argument is a usage error (exit 2), distinct from a refused file (exit 1)."""
    out = cti("config", "check")
    assert out.returncode == 2
    assert "usage:" in out.stderr


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    """A file saved with a UTF-8 byte-order mark (as some Windows editors do) is read normally."""
    path = tmp_path / "centre.toml"
    path.write_bytes(b"\xef\xbb\xbf" + default_centre_text().encode("utf-8"))
    out = cti("config", "check", str(path), "-q")
    assert out.returncode == 0, out.stderr


def test_names_that_look_like_markup_are_printed_as_written() -> None:
    """Display names are text, not terminal markup: brackets print as they are, with no traceback."""
    text = mutate(r'^name = "行政院人事行政總處 人事資訊系統客服中心"', 'name = "Centre [/] [bold]x"')
    text = text.replace('name = "南投"', 'name = "南投 [red]"', 1)
    text = text.replace('name = "ECPA 人事服務網"', 'name = "ECPA [/bold]"', 1)
    out = cti("config", "check", "-", stdin=text)
    assert out.returncode == 0, out.stderr
    for name in ("Centre [/] [bold]x", "南投 [red]", "ECPA [/bold]"):
        assert name in out.stdout


def test_a_huge_integer_is_refused_without_a_traceback() -> None:
    """TOML integers are unbounded; an absurd time is refused as out of range, not a crash."""
    out = cti("config", "check", "-", stdin=mutate(r"^ring_timeout_s = 15", "ring_timeout_s = 1" + "0" * 400))
    assert out.returncode == 1
    assert "routing.ring_timeout_s: out of range" in out.stderr
    assert "Traceback" not in out.stderr


def test_standard_input_is_read_like_a_file() -> None:
    """'-' tolerates a byte-order mark and refuses invalid UTF-8, naming <stdin>."""
    ok = subprocess.run(
        [sys.executable, "-m", "cti", "config", "check", "-", "-q"],
        input=b"\xef\xbb\xbf" + default_centre_text().encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "cti", "config", "check", "-"],
        input=b'[center]\nname = "\xff"\n',
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.decode().startswith("cti: <stdin>: not UTF-8 text")
