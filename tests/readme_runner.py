"""Run a Markdown file's shell examples in order, as a new user pasting them into one shell would.

Every fenced block whose info string starts with ``sh`` is run; other blocks
(``console`` output, ``python``, plain) are examples to read. Words after
``sh`` are tags:

* ``skip``: not run (installs, interactive screens, commands that need more
  than the folder holds);
* ``background``: started in the background (a service the next blocks talk
  to) and stopped when the run ends;
* ``timeout=N``: the block's commands may take N seconds in all (default
  :data:`DEFAULT_TIMEOUT_S`);
* ``minutes=N`` and ``speed=S``: every ``cti demo`` command of the block runs
  N centre minutes at speed S (its own ``--minutes``/``--speed`` replaced), so
  a long run stays a quick check;
* ``replications=N``: every ``cti simulate`` and ``cti staff`` command of the
  block runs N replications.

The commands run in one ``bash``, so a variable set in one block is there in
the next. As in a user's shell, a pipeline's status is its last command's:
``cti cases list --ids | head -1`` may stop ``cti`` early, and that is no
failure (a pipeline that yields nothing fails the command that uses it).
Each command's output is kept apart; the first command that exits non-zero
(or outlives its block's time) stops the run, and :class:`ReadmeFailure`
names the block, the line, the command and its output.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT_S = 120.0
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FLAGS = {"skip", "background"}
_SETTINGS = {"timeout", "minutes", "speed", "replications"}
# A command ends at a shell operator, a redirection, a closing substitution or a comment.
_SEGMENT_END = r"[|;&<>)#\n]"


class ReadmeFailure(Exception):
    """A command of the file failed: ``str()`` names the block, the line and the command, then its output."""


@dataclass(frozen=True, slots=True)
class Block:
    """One ``sh`` block: where it starts, its tags, and its lines with their line numbers in the file."""

    line: int
    info: str
    flags: frozenset[str]
    settings: Mapping[str, str]
    lines: tuple[tuple[int, str], ...] = field(default=())

    @property
    def timeout_s(self) -> float:
        return float(self.settings.get("timeout", DEFAULT_TIMEOUT_S))

    def commands(self) -> list[tuple[int, str]]:
        """``(line number, command)`` of each command, continuation lines joined, tags' rewrites applied."""
        commands: list[tuple[int, str]] = []
        pending: tuple[int, str] | None = None
        for number, text in self.lines:
            line, command = (number, text) if pending is None else (pending[0], pending[1] + "\n" + text)
            pending = None
            if command.endswith("\\"):
                pending = (line, command)
                continue
            if command.strip() and not command.lstrip().startswith("#"):
                commands.append((line, rewrite(command, self.settings)))
        if pending is not None:
            raise ValueError(f"line {pending[0]}: the block ends inside a continued line")
        return commands


def parse_blocks(markdown: str) -> list[Block]:
    """The ``sh`` blocks of a Markdown text, in order; a tag the runner does not know raises ValueError."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        fence, info = opening["fence"], opening["info"].strip()
        start = index
        body: list[tuple[int, str]] = []
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if closing is not None and closing["fence"].startswith(fence) and not closing["info"].strip():
                break
            body.append((index + 1, lines[index]))
            index += 1
        index += 1  # past the closing fence (or the end of an unclosed block)
        words = info.split()
        if not words or words[0] != "sh":
            continue
        blocks.append(_block(start, info, words[1:], body))
    return blocks


def _block(line: int, info: str, tags: Sequence[str], body: list[tuple[int, str]]) -> Block:
    flags: set[str] = set()
    settings: dict[str, str] = {}
    for tag in tags:
        name, equals, value = tag.partition("=")
        if not equals and name in _FLAGS:
            flags.add(name)
        elif equals and name in _SETTINGS and value:
            settings[name] = value
        else:
            known = ", ".join([*sorted(_FLAGS), *(f"{s}=N" for s in sorted(_SETTINGS))])
            raise ValueError(f"line {line}: unknown tag {tag!r} in ```{info}; expected: {known}")
    if "timeout" in settings and not re.fullmatch(r"\d+(\.\d+)?", settings["timeout"]):
        raise ValueError(f"line {line}: timeout={settings['timeout']} is not a number of seconds")
    return Block(line, info, frozenset(flags), settings, tuple(body))


def rewrite(command: str, settings: Mapping[str, str]) -> str:
    """The command with the block's ``minutes``/``speed`` set on ``cti demo``, ``replications`` on simulations."""
    for program, names in (("demo", ("minutes", "speed")), ("simulate|staff", ("replications",))):
        wanted = [(name, settings[name]) for name in names if name in settings]
        if wanted:
            command = re.sub(
                rf"\bcti (?:{program})\b[^|;&<>)#\n]*",
                lambda m, wanted=wanted: _set_flags(m.group(0), wanted),
                command,
            )
    return command


def _set_flags(segment: str, wanted: Sequence[tuple[str, str]]) -> str:
    """``cti COMMAND`` and its arguments with each wanted flag given once, right after the command."""
    body = segment.rstrip()
    program, command, rest = [*body.split(maxsplit=2), ""][:3]
    for name, _value in wanted:
        rest = re.sub(rf"(^|\s)--{name}(?:=|\s+)\S+", "", rest).strip()
    flags = [f"--{name} {value}" for name, value in wanted]
    return " ".join([program, command, *flags, *([rest] if rest else [])]) + segment[len(body) :]


def script(blocks: Sequence[Block], state: Path) -> str:
    """The bash script that runs the blocks and leaves its progress, outputs and failure in ``state``."""
    parts = [f"__state={_quote(str(state))}"]
    for number, block in enumerate(blocks, 1):
        if "skip" in block.flags:
            continue
        commands = block.commands()
        if "background" in block.flags:
            first = commands[0][0] if commands else block.line
            body = "\n".join(command for _, command in commands)
            parts.append(f"printf '%s\\n' '{number} {first}' > \"$__state/at\"")
            parts.append(f'(\n{body}\n) > "$__state/out-{number}-{first}" 2>&1 < /dev/null &')
            continue
        for line, command in commands:
            out = f'"$__state/out-{number}-{line}"'
            parts.append(f"printf '%s\\n' '{number} {line}' > \"$__state/at\"")
            parts.append(f"{{\n{command}\n}} > {out} 2>&1 < /dev/null")
            parts.append('__rc=$?; if [ $__rc -ne 0 ]; then echo $__rc > "$__state/failed"; exit 1; fi')
    parts.append('echo done > "$__state/done"')
    return "\n".join(parts) + "\n"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_markdown(
    markdown: str, folder: Path, *, env: Mapping[str, str] | None = None, source: str = "README.md"
) -> None:
    """Run the ``sh`` blocks of ``markdown`` in ``folder``; raise :class:`ReadmeFailure` at the first failure."""
    blocks = parse_blocks(markdown)
    state = folder / ".readme-run"
    state.mkdir()
    (state / "script.sh").write_text(script(blocks, state), encoding="utf-8")
    shell_output = state / "shell"
    with shell_output.open("wb") as shell_out:
        process = subprocess.Popen(
            ["bash", str(state / "script.sh")],
            cwd=folder,
            env=dict(env if env is not None else os.environ),
            stdin=subprocess.DEVNULL,
            stdout=shell_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout or the end stops everything it started
        )
    at: tuple[int, int] | None = None
    since = time.monotonic()
    timed_out = False
    try:
        while process.poll() is None:
            now = _at(state)
            if now is not None and (at is None or now[0] != at[0]):
                at, since = now, time.monotonic()
            if at is not None and time.monotonic() - since > blocks[at[0] - 1].timeout_s:
                timed_out = True
                break
            time.sleep(0.05)
    finally:
        _stop(process)
    output = shell_output.read_text(errors="replace")
    if (state / "done").exists():
        return
    at = _at(state)
    if at is None:
        raise ReadmeFailure(f"{source}: the shell stopped before the first command:\n{output}")
    block = blocks[at[0] - 1]
    command = next((c for line, c in block.commands() if line == at[1]), "?")
    log = state / f"out-{at[0]}-{at[1]}"
    logged = log.read_text(errors="replace") if log.exists() else ""
    if timed_out:
        why = f"still running after the block's {block.timeout_s:g} s"
    elif (state / "failed").exists():
        why = f"exit status {(state / 'failed').read_text().strip()}"
    else:
        why = f"the shell stopped (status {process.returncode})"
    raise ReadmeFailure(
        f"{source}:{at[1]}: in the ```{block.info} block of line {block.line}: {why}\n"
        f"$ {command}\n{logged}{output}".rstrip()
    )


def _at(state: Path) -> tuple[int, int] | None:
    try:
        number, line = (state / "at").read_text().split()
    except (FileNotFoundError, ValueError):  # not written yet, or caught mid-write
        return None
    return int(number), int(line)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the script and everything it started (background blocks, a command past its time)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:  # the shell is done and left nothing running
        process.wait()
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever did not stop on SIGTERM
    process.wait()
