"""``cti prompts build``: every prompt of the centre's IVR as 8 kHz mono 16-bit WAV, in each language it plays in.

The files go to ``DIR/<language>/<prompt>.wav``, one folder per prompt
language (a language that borrows another's prompts, as Taiwanese borrows
Mandarin's, plays that language's files). Each prompt is spoken by
espeak-ng when it is installed and the language has a voice, and is
otherwise its tone signature for the seconds the centre file gives
(:mod:`cti.live.prompts`). Everything is rendered before anything is
written, so a prompt that fails leaves the folder as it was.

``--write-seconds`` writes each spoken prompt's measured length (rounded
up to a tenth of a second, so the PBX never cuts a prompt short) into the
centre file as ``seconds``: the file's text is changed only on those
values, and the changed file is read back and must hold exactly the old
values but those before it replaces the old one.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text

from cti.cli.output import emit_json, progress_bar, report_console
from cti.cli.tables import Cell, Column, print_table
from cti.config import ConfigError, LoadedCentre, load_centre, load_default, parse_centre
from cti.errors import CommandLineError, UsageError
from cti.live.prompts import ESPEAK, Audio, Engine, find_espeak, render
from ivr import IvrPlan

EXIT_OK = 0
#: A prompt or language id as a file or folder name: the centre file's id rule (no dot, no slash).
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class PromptJob:
    """One prompt in one prompt language, as the centre file gives it."""

    prompt: str
    language: str
    text: str
    voice: str | None
    centre_s: float
    estimated: bool

    @property
    def path(self) -> str:
        """Where it goes, relative to the output folder."""
        return f"{self.language}/{self.prompt}.wav"


@dataclass(frozen=True)
class Rendered:
    job: PromptJob
    audio: Audio

    @property
    def measured_s(self) -> float:
        return self.audio.seconds

    @property
    def difference_s(self) -> float:
        return self.measured_s - self.job.centre_s


def prompt_jobs(plan: IvrPlan) -> list[PromptJob]:
    """Every prompt of the plan in every prompt language it has a text in: the prompts the flow plays first."""
    order = [*plan.used_prompts(), *(p for p in plan.prompts if p not in plan.used_prompts())]
    jobs: list[PromptJob] = []
    for prompt in order:
        texts = plan.prompts.get(prompt, {})
        for language in plan.prompt_languages:
            if language in texts:
                said = texts[language]
                voice = plan.language(language).voice
                jobs.append(PromptJob(prompt, language, said.text, voice, said.seconds, said.estimated))
    return jobs


def build_command(args: argparse.Namespace) -> int:
    if args.write_seconds and (args.config is None or str(args.config) == "-"):
        raise CommandLineError(
            "--write-seconds: give the centre file to write into with --config FILE "
            "(`cti config default > centre.toml` writes the shipped one to edit)"
        )
    loaded = load_centre(args.config) if args.config else load_default()
    plan = loaded.ivr
    if plan is None:
        raise UsageError(
            f"{loaded.source}: the centre has no [ivr] table, so it has no prompts to build "
            "(docs/centre-file.md; the shipped centre has one: `cti config default`)"
        )
    out = _output_folder(args.out, force=args.force)
    espeak = None if args.engine == Engine.TONES else find_espeak()
    if args.engine == Engine.ESPEAK and espeak is None:
        raise UsageError(
            f"--engine espeak: {ESPEAK} is not installed (apt-get install {ESPEAK}), or use --engine tones"
        )
    jobs = prompt_jobs(plan)
    rendered = _render_all(jobs, args.engine, espeak, quiet=args.quiet)
    new_text = _centre_with_seconds(loaded, rendered) if args.write_seconds else None
    _write_all(out, rendered)
    if new_text is not None:
        _replace_file(Path(args.config), new_text)
    doc = _as_json(loaded, out, args.engine, espeak, rendered, written=new_text is not None)
    if emit_json(args, doc) or args.quiet:
        return EXIT_OK
    _print_report(args, loaded, out, doc, rendered, written=new_text is not None)
    return EXIT_OK


# ----------------------------------------------------------------------
# The output folder
# ----------------------------------------------------------------------


def _output_folder(path: Path, *, force: bool) -> Path:
    """``--out``, checked before anything is rendered: a folder that may be made, or one holding only prompts."""
    if str(path) == "-":
        raise CommandLineError("--out: give a folder, not '-' (the prompts are files)")
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: {path} is a file; give a folder for the prompts")
    if not path.exists():
        if not path.parent.is_dir():
            raise UsageError(f"--out: {path}: the folder {path.parent} does not exist")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise UsageError(f"--out: {path}: cannot make a folder in {path.parent} (permission denied)")
        return path
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--out: {path} is not writable (permission denied)")
    foreign = _not_prompts(path)
    if foreign and not force:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise UsageError(
            f"--out: {path} holds files that are not prompts ({shown}); give an empty folder or one "
            "`cti prompts build` wrote, or --force to write the prompts beside them"
        )
    return path


def _not_prompts(folder: Path) -> list[str]:
    """What a prompts folder should not hold: anything but language folders of WAV files."""
    foreign: list[str] = []
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir() or entry.is_symlink():
            foreign.append(entry.name)
            continue
        for item in sorted(entry.iterdir()):
            if not (item.is_file() and not item.is_symlink() and item.suffix.lower() == ".wav"):
                foreign.append(f"{entry.name}/{item.name}")
    return foreign


def _write_all(out: Path, rendered: Sequence[Rendered]) -> None:
    for item in rendered:
        for name in (item.job.language, item.job.prompt):
            if not _SAFE_NAME.fullmatch(name):  # ids are checked when the centre is read; never a path
                raise UsageError(f"--out: {name!r} is not a safe file name")
    try:
        out.mkdir(exist_ok=True)
        for language in dict.fromkeys(item.job.language for item in rendered):
            (out / language).mkdir(exist_ok=True)
        for item in rendered:
            _write_atomically(out / item.job.path, item.audio.wav())
    except OSError as err:
        raise UsageError(f"--out: cannot write in {out}: {err.strerror or err}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------


def _render_all(jobs: Sequence[PromptJob], engine: str, espeak: str | None, *, quiet: bool) -> list[Rendered]:
    out: list[Rendered] = []
    with progress_bar(not quiet and sys.stderr.isatty(), "prompts") as update:
        for job in jobs:
            audio = render(
                job.prompt,
                job.language,
                job.text,
                voice=job.voice,
                seconds=job.centre_s,
                engine=engine,
                espeak=espeak,
            )
            out.append(Rendered(job, audio))
            if update is not None:
                update(len(out), len(jobs))
    return out


def espeak_version(program: str) -> str:
    """``espeak-ng 1.51``, from the program's ``--version`` (just ``espeak-ng`` if it will not say)."""
    try:
        done = subprocess.run([program, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ESPEAK
    match = re.search(r"text-to-speech:\s*(\S+)", done.stdout.decode("utf-8", "replace"))
    return f"{ESPEAK} {match.group(1)}" if match else ESPEAK


# ----------------------------------------------------------------------
# --write-seconds
# ----------------------------------------------------------------------


def written_seconds(measured: float) -> float:
    """A measured length as the centre file keeps it: rounded up to a tenth, so the PBX never cuts it short."""
    return math.ceil(round(measured * 10, 6)) / 10


def _centre_with_seconds(loaded: LoadedCentre, rendered: Sequence[Rendered]) -> str:
    """The centre file's text with each prompt's measured seconds; checked by reading it back."""
    tones = [item.job.path for item in rendered if item.audio.engine is not Engine.ESPEAK]
    if tones:
        raise UsageError(
            f"--write-seconds: {len(tones)} prompt(s) were tone signatures, not speech ({', '.join(tones[:3])}), "
            f"so there is no spoken length to write; install {ESPEAK} and give the language a voice"
        )
    path = Path(loaded.source)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--write-seconds: cannot read {path} again: {err}") from None
    seconds = {(item.job.prompt, item.job.language): written_seconds(item.measured_s) for item in rendered}
    new_text = set_prompt_seconds(text, seconds, source=str(path))
    try:
        parse_centre(new_text, str(path))
    except ConfigError as err:  # pragma: no cover - the read-back check below would have failed first
        raise UsageError(f"--write-seconds: the changed file would not be valid ({err}); nothing written") from None
    return new_text


def set_prompt_seconds(text: str, seconds: Mapping[tuple[str, str], float], *, source: str) -> str:
    """``text`` (a centre file) with ``seconds = S`` on each ``[prompts.PROMPT] LANGUAGE`` given.

    A text written ``zh = "…"`` becomes ``zh = { text = "…", seconds = S }``;
    an inline table gets its ``seconds`` replaced or added. Only those
    values change: comments, order and layout stay. The result is read
    back, and must equal the old file with just those seconds set; if not
    (a layout this does not handle, such as a multi-line string), a
    :class:`UsageError` names the prompt and nothing is changed.
    """
    lines = text.split("\n")
    where = _prompt_lines(lines)
    for (prompt, language), value in seconds.items():
        number = where.get((prompt, language))
        if number is None:
            raise UsageError(
                f"--write-seconds: {source}: prompts.{prompt}.{language} is not written as `{language} = ...` "
                f"under [prompts.{prompt}]; set its seconds by hand"
            )
        lines[number] = _with_seconds(lines[number], value, f"{source}:{number + 1}: prompts.{prompt}.{language}")
    new_text = "\n".join(lines)
    expected = copy.deepcopy(tomllib.loads(text))
    for (prompt, language), value in seconds.items():
        old = expected["prompts"][prompt][language]
        said = old if isinstance(old, str) else old["text"]
        expected["prompts"][prompt][language] = {"text": said, "seconds": value}
    try:
        got = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        got = None
    if got != expected:
        raise UsageError(
            f"--write-seconds: {source}: could not set the seconds without changing anything else; "
            "set them by hand (the measured seconds are in the table and --json)"
        )
    return new_text


_PROMPT_TABLE = re.compile(r"^\s*\[\s*prompts\s*\.\s*([A-Za-z0-9_-]+)\s*\]\s*(?:#.*)?$")
_OTHER_TABLE = re.compile(r"^\s*\[")
_LANGUAGE_KEY = re.compile(r"^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)(.*)$")


def _prompt_lines(lines: Sequence[str]) -> dict[tuple[str, str], int]:
    """Where each ``LANGUAGE = …`` of each ``[prompts.PROMPT]`` table starts (line index)."""
    found: dict[tuple[str, str], int] = {}
    prompt: str | None = None
    for number, line in enumerate(lines):
        if match := _PROMPT_TABLE.match(line):
            prompt = match.group(1)
        elif _OTHER_TABLE.match(line):
            prompt = None
        elif prompt is not None and (key := _LANGUAGE_KEY.match(line)):
            found.setdefault((prompt, key.group(2)), number)
    return found


_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"(?!")|\'[^\'\n]*\'(?!\')')


def _with_seconds(line: str, seconds: float, where: str) -> str:
    key = _LANGUAGE_KEY.match(line)
    assert key is not None
    indent, name, equals, value = key.groups()
    shown = f"{seconds:g}"
    string = _STRING.match(value)
    if string is not None and re.fullmatch(r"\s*(#.*)?", value[string.end() :]):
        return f"{indent}{name}{equals}{{ text = {string.group()}, seconds = {shown} }}{value[string.end() :]}"
    if value.startswith("{"):
        end = _inline_table_end(value)
        if end is not None and re.fullmatch(r"\s*(#.*)?", value[end + 1 :]):
            body = value[: end + 1]
            changed, count = re.subn(r"(\bseconds\s*=\s*)[-+0-9.eE_]+", rf"\g<1>{shown}", _outside_strings(body))
            if count == 1:
                body = _merge_outside_strings(body, changed)
            elif count == 0:
                body = body[:end].rstrip() + f", seconds = {shown} }}"
            else:
                body = ""
            if body:
                return f"{indent}{name}{equals}{body}{value[end + 1 :]}"
    raise UsageError(
        f"--write-seconds: {where}: written in a way this cannot change (a multi-line value?); set its seconds by hand"
    )


def _inline_table_end(value: str) -> int | None:
    """The index of the ``}`` closing the inline table ``value`` starts with, skipping strings."""
    depth, i = 0, 0
    while i < len(value):
        string = _STRING.match(value, i)
        if string is not None:
            i = string.end()
            continue
        if value[i] == "{":
            depth += 1
        elif value[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _outside_strings(body: str) -> str:
    """``body`` with the inside of every string blanked (same length), so a pattern matches keys only."""
    return _STRING.sub(lambda m: m.group()[0] + "\0" * (len(m.group()) - 2) + m.group()[-1], body)


def _merge_outside_strings(original: str, changed: str) -> str:
    """``changed`` (edited outside strings) with the strings of ``original`` put back in order."""
    strings = iter(s.group() for s in _STRING.finditer(original))
    return _STRING.sub(lambda _m: next(strings), changed)


def _replace_file(path: Path, text: str) -> None:
    try:
        mode = path.stat().st_mode & 0o777
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise UsageError(f"--write-seconds: cannot write {path}: {err.strerror or err}") from None


# ----------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------


def _as_json(
    loaded: LoadedCentre, out: Path, engine: str, espeak: str | None, rendered: Sequence[Rendered], *, written: bool
) -> dict[str, Any]:
    spoke = any(item.audio.engine is Engine.ESPEAK for item in rendered)
    return {
        "file": loaded.source,
        "out": str(out),
        "engine": engine,
        "espeak": espeak_version(espeak) if espeak is not None and spoke else None,
        "seconds_written": written,
        "prompts": [
            {
                "prompt_id": item.job.prompt,
                "language": item.job.language,
                "voice": item.job.voice,
                "engine": item.audio.engine.value,
                "path": item.job.path,
                "measured_s": item.measured_s,
                "centre_s": item.job.centre_s,
                "estimated": item.job.estimated,
                "difference_s": item.difference_s,
            }
            for item in rendered
        ],
    }


def _print_report(
    args: argparse.Namespace,
    loaded: LoadedCentre,
    out: Path,
    doc: Mapping[str, Any],
    rendered: Sequence[Rendered],
    *,
    written: bool,
) -> None:
    console = report_console(args)
    columns = (
        Column("prompt"),
        Column("language"),
        Column("seconds", justify="right"),
        Column("in the centre file", justify="right", wrap=True),
        Column("difference", justify="right", priority=1),
        Column("engine", priority=2),
    )
    rows: list[list[Cell]] = []
    for item in rendered:
        centre = f"{item.job.centre_s:.1f}" + (" (estimated)" if item.job.estimated else "")
        rows.append(
            [
                Text(item.job.prompt),
                Text(item.job.language),
                f"{item.measured_s:.2f}",
                centre,
                f"{item.difference_s:+.2f}",
                item.audio.engine.value,
            ]
        )
    print_table(console, f"Prompts written to {out}", columns, rows)
    spoken = [item for item in rendered if item.audio.engine is Engine.ESPEAK]
    voices = sorted({item.job.voice for item in spoken if item.job.voice})
    parts = []
    if spoken:
        parts.append(f"{len(spoken)} spoken by {doc['espeak']} (voices {', '.join(voices)})")
    if len(spoken) < len(rendered):
        parts.append(f"{len(rendered) - len(spoken)} tone signature(s) for the centre file's seconds")
    console.print(Text(f"{len(rendered)} prompts, 8 kHz mono 16-bit WAV: " + "; ".join(parts) + "."))
    if written:
        console.print(Text(f"Wrote the measured seconds (rounded up to 0.1 s) into {loaded.source}."))
    elif spoken:
        off = [item for item in spoken if written_seconds(item.measured_s) != item.job.centre_s]
        if off:
            worst = max(abs(item.difference_s) for item in off)
            console.print(
                Text(
                    f"{len(off)} spoken prompt(s) last other than the centre file says (by up to {worst:.2f} s); "
                    "--write-seconds --config FILE writes the measured seconds into it."
                )
            )
