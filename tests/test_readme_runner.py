"""The README runner itself: it runs what it should, skips what it should, and a broken block fails it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.readme_runner import ReadmeFailure, parse_blocks, rewrite, run_markdown

FENCE = "```"


def markdown(*blocks: str) -> str:
    """A Markdown text with some prose and the given fenced blocks (each "info\\nbody")."""
    parts = ["# A tool", "", "Some prose.", ""]
    for block in blocks:
        info, _, body = block.partition("\n")
        parts += [f"{FENCE}{info}", body.rstrip("\n"), FENCE, "", "More prose.", ""]
    return "\n".join(parts)


def test_a_broken_block_fails_naming_the_line_the_command_and_its_output(tmp_path: Path) -> None:
    broken = "sh\ncat one.txt\nls no-such-file   # a file the folder lacks\ntouch after"
    text = markdown("sh\necho one > one.txt", broken)
    with pytest.raises(ReadmeFailure) as failure:
        run_markdown(text, tmp_path)
    message = str(failure.value)
    assert message.startswith("README.md:13: in the ```sh block of line 11: exit status 2")
    assert "$ ls no-such-file   # a file the folder lacks" in message
    assert "no-such-file" in message.splitlines()[2]  # ls's own complaint
    assert not (tmp_path / "after").exists()


def test_the_run_stops_at_the_first_failure(tmp_path: Path) -> None:
    text = markdown("sh\nfalse\ntouch later.txt")
    with pytest.raises(ReadmeFailure, match=r"README\.md:6: .*exit status 1\n\$ false"):
        run_markdown(text, tmp_path)
    assert not (tmp_path / "later.txt").exists()


def test_blocks_run_in_order_in_one_shell_in_the_folder(tmp_path: Path) -> None:
    text = markdown("sh\nNAME=$(echo world)\ncd sub 2>/dev/null || mkdir sub", "sh\necho hello $NAME > greeting.txt")
    run_markdown(text, tmp_path)
    assert (tmp_path / "greeting.txt").read_text() == "hello world\n"


def test_skip_console_and_other_blocks_are_not_run(tmp_path: Path) -> None:
    text = markdown("sh skip\ntouch skipped", "console\n$ touch console", "\ntouch plain", "python\nimport os")
    run_markdown(text, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == []


def test_a_block_past_its_timeout_fails_and_is_stopped(tmp_path: Path) -> None:
    text = markdown("sh timeout=1\necho started\nsleep 30\ntouch never")
    with pytest.raises(ReadmeFailure, match=r"README\.md:7: .*still running after the block's 1 s\n\$ sleep 30"):
        run_markdown(text, tmp_path)
    assert not (tmp_path / "never").exists()


def test_a_background_block_runs_beside_the_next_and_is_stopped_at_the_end(tmp_path: Path) -> None:
    text = markdown(
        "sh background\necho $$ > service.pid\nwhile true; do date > service.alive; sleep 0.1; done",
        "sh\nwhile [ ! -e service.alive ]; do sleep 0.05; done\necho saw it > client.txt",
    )
    run_markdown(text, tmp_path)
    assert (tmp_path / "client.txt").read_text() == "saw it\n"
    alive = tmp_path / "service.alive"
    before = alive.stat().st_mtime_ns
    time.sleep(0.5)
    assert alive.stat().st_mtime_ns == before  # the loop was stopped with the run


def test_continued_lines_are_one_command(tmp_path: Path) -> None:
    run_markdown(markdown("sh\necho a \\\n  b > joined.txt"), tmp_path)
    assert (tmp_path / "joined.txt").read_text() == "a b\n"


def test_minutes_and_speed_rewrite_every_cti_demo_command_of_the_block() -> None:
    (block,) = parse_blocks(markdown("sh minutes=5 speed=max\ncti demo   # a run\ncti demo --minutes 600 --db d.db"))
    assert [c for _, c in block.commands()] == [
        "cti demo --minutes 5 --speed max   # a run",
        "cti demo --minutes 5 --speed max --db d.db",
    ]


def test_rewrites_touch_only_their_commands() -> None:
    settings = {"minutes": "5", "speed": "max", "replications": "2"}
    demo = "cti demo --speed=60 --db x.db > out.txt"
    assert rewrite(demo, settings) == "cti demo --minutes 5 --speed max --db x.db > out.txt"
    staff = "cti staff s.toml --replications 9 | tee plan"
    assert rewrite(staff, settings) == "cti staff --replications 2 s.toml | tee plan"
    assert rewrite("cti simulate --compare a b", settings) == "cti simulate --replications 2 --compare a b"
    assert rewrite("cti export calls --db demo.db > calls.csv", settings) == "cti export calls --db demo.db > calls.csv"
    assert rewrite("cti demo", {}) == "cti demo"


def test_an_unknown_tag_is_refused() -> None:
    with pytest.raises(ValueError, match=r"line 5: unknown tag 'skpi' in ```sh skpi"):
        parse_blocks(markdown("sh skpi\ntrue"))
