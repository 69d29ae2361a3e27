"""Prompt audio: 8 kHz mono 16-bit WAV from espeak-ng, or a tone signature without it."""

from __future__ import annotations

import json
import math
import os
import tomllib
import wave
from pathlib import Path

import numpy as np
import pytest

from cti.cli import main
from cti.cli.prompts import set_prompt_seconds
from cti.config import default_centre_text, load_centre, load_default
from cti.errors import UsageError
from cti.live.prompts import (
    SAMPLE_RATE,
    Audio,
    Engine,
    PromptError,
    find_espeak,
    render,
    resample,
    signature,
    speak,
    tones,
    wav_info,
)

needs_espeak = pytest.mark.skipif(find_espeak() is None, reason="espeak-ng is not installed (CI installs it)")


def _write(audio: Audio, path: Path) -> Path:
    path.write_bytes(audio.wav())
    return path


def _samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def _fake_program(tmp_path: Path, body: str) -> str:
    program = tmp_path / "espeak-ng"
    program.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    program.chmod(0o755)
    return str(program)


# ----------------------------------------------------------------------
# The WAV format and the tone signature
# ----------------------------------------------------------------------


def test_a_tones_prompt_is_8khz_mono_16bit_pcm_lasting_its_stated_seconds(tmp_path: Path) -> None:
    path = _write(tones("welcome", "zh", 3.7), tmp_path / "welcome.wav")
    info = wav_info(path)
    assert (info.rate, info.channels, info.sample_width) == (8000, 1, 2)
    assert info.seconds == pytest.approx(3.7, abs=1 / SAMPLE_RATE)
    with wave.open(str(path), "rb") as w:
        assert w.getcomptype() == "NONE"  # plain PCM


def test_a_tone_signature_is_the_same_every_time_and_differs_by_prompt_and_language() -> None:
    assert signature("welcome", "zh") == signature("welcome", "zh")
    assert np.array_equal(tones("welcome", "zh", 2.0).samples, tones("welcome", "zh", 2.0).samples)
    others = {signature("welcome", "en"), signature("main-menu", "zh"), signature("hours", "zh")}
    assert signature("welcome", "zh") not in others


def test_the_tones_are_audible_and_inside_the_telephone_band() -> None:
    audio = tones("main-menu", "en", 2.0)
    spectrum = np.abs(np.fft.rfft(audio.samples.astype(np.float64)))
    freqs = np.fft.rfftfreq(len(audio.samples), 1 / SAMPLE_RATE)
    peak = freqs[int(np.argmax(spectrum))]
    assert 300 <= peak <= 3400
    assert np.abs(audio.samples).max() > 0.2 * 32767


@pytest.mark.parametrize("seconds", [0.0, -1.0, math.nan, math.inf, 601.0])
def test_tones_refuse_a_length_that_is_not_a_prompts(seconds: float) -> None:
    with pytest.raises(PromptError, match=r"'welcome' \(zh\).*not a prompt length"):
        tones("welcome", "zh", seconds)


# ----------------------------------------------------------------------
# Resampling
# ----------------------------------------------------------------------


def _level_db(signal: np.ndarray) -> float:
    middle = signal[500:-500]
    return float(20 * np.log10(math.sqrt(2) * middle.std() + 1e-12))


@pytest.mark.parametrize("hz", [300.0, 1000.0, 3000.0])
def test_resampling_keeps_the_voice_band(hz: float) -> None:
    t = np.arange(22050) / 22050
    out = resample(np.sin(2 * np.pi * hz * t), 22050, 8000)
    assert len(out) == 8000
    assert _level_db(out) == pytest.approx(0.0, abs=0.5)


@pytest.mark.parametrize("hz", [4500.0, 6000.0, 9000.0])
def test_resampling_removes_what_would_fold_back_into_the_band(hz: float) -> None:
    """Above 4 kHz a tone cannot be carried at 8 kHz; dropping samples would fold it back as a false tone."""
    t = np.arange(22050) / 22050
    assert _level_db(resample(np.sin(2 * np.pi * hz * t), 22050, 8000)) < -60


# ----------------------------------------------------------------------
# espeak-ng
# ----------------------------------------------------------------------


@needs_espeak
@pytest.mark.parametrize(
    ("voice", "text", "low", "high"),
    [
        ("en", "Welcome to the personnel systems hotline.", 1.5, 5.0),
        ("cmn", "歡迎致電人事服務網客服專線。", 1.5, 6.0),
    ],
)
def test_espeak_speaks_a_prompt_as_8khz_speech_of_a_sentences_length(
    tmp_path: Path, voice: str, text: str, low: float, high: float
) -> None:
    audio = render("welcome", voice, text, voice=voice, seconds=99.0)
    assert audio.engine is Engine.ESPEAK
    path = _write(audio, tmp_path / "welcome.wav")
    info = wav_info(path)
    assert (info.rate, info.channels, info.sample_width) == (8000, 1, 2)
    assert low < info.seconds < high  # the spoken length, not the 99 s it was told
    assert _samples(path).astype(np.float64).std() > 300  # not silence


@needs_espeak
def test_a_longer_text_is_spoken_for_longer() -> None:
    short = speak("Press one.", "en")
    long = speak("Press one for the personnel system, two for payroll, three for attendance.", "en")
    assert long.seconds > 2 * short.seconds


@needs_espeak
@pytest.mark.parametrize("option", ["-w {tmp}/taken.wav", "--help", "-v xx", "--stdout"])
def test_a_text_starting_with_a_dash_is_spoken_not_obeyed(tmp_path: Path, option: str) -> None:
    text = option.format(tmp=tmp_path) + " please hold the line"
    audio = speak(text, "en")
    assert not (tmp_path / "taken.wav").exists()
    assert audio.seconds > speak("please hold the line", "en").seconds  # the dashes' words were spoken too


@needs_espeak
def test_an_unknown_voice_is_named_in_the_error() -> None:
    with pytest.raises(PromptError, match="espeak-ng -v nosuchvoice failed"):
        speak("hello", "nosuchvoice")


@pytest.mark.parametrize("voice", ["-w", "../../etc/x", "en us", "", "a" * 65])
def test_a_voice_that_is_not_a_voice_name_is_refused_before_anything_runs(tmp_path: Path, voice: str) -> None:
    program = _fake_program(tmp_path, f"touch {tmp_path}/ran")
    with pytest.raises(PromptError, match="not an espeak-ng voice name"):
        speak("hello", voice, program=program)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the text is empty"),
        ("   \n", "the text is empty"),
        ("a" * 2001, "at most 2,000"),
        ("hi\x1b[31m", r"U\+001B"),
    ],
)
def test_a_bad_text_is_refused(text: str, problem: str) -> None:
    with pytest.raises(PromptError, match=problem):
        speak(text, "en", program="/bin/false")


def test_espeak_that_hangs_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    program = _fake_program(tmp_path, "exec sleep 30")
    with pytest.raises(PromptError, match=r"took longer than 0\.5 s"):
        speak("hello", "en", program=program, timeout_s=0.5)


def test_espeak_that_fails_is_reported_with_what_it_said(tmp_path: Path) -> None:
    program = _fake_program(tmp_path, "echo 'Error: something broke' >&2; exit 3")
    with pytest.raises(PromptError, match="failed: Error: something broke"):
        speak("hello", "en", program=program)


def test_espeak_that_writes_no_wav_is_reported(tmp_path: Path) -> None:
    program = _fake_program(tmp_path, 'while [ "$1" != -w ]; do shift; done; echo junk > "$2"')
    with pytest.raises(PromptError, match="no usable WAV"):
        speak("hello", "en", program=program)


# ----------------------------------------------------------------------
# Which engine
# ----------------------------------------------------------------------


def test_without_espeak_on_path_auto_plays_the_tones_for_the_stated_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no espeak-ng on it
    assert find_espeak() is None
    audio = render("welcome", "zh", "歡迎", voice="cmn", seconds=4.5)
    assert audio.engine is Engine.TONES
    assert audio.seconds == pytest.approx(4.5)


def test_without_espeak_engine_espeak_is_an_error_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PromptError, match=r"espeak-ng is not installed.*--engine tones"):
        render("welcome", "zh", "歡迎", voice="cmn", seconds=4.5, engine="espeak")


def test_a_language_without_a_voice_gets_tones_with_auto_and_an_error_with_espeak() -> None:
    assert render("welcome", "nan", "歡迎", voice=None, seconds=2.0, espeak="/bin/false").engine is Engine.TONES
    with pytest.raises(PromptError, match="no espeak-ng voice"):
        render("welcome", "nan", "歡迎", voice=None, seconds=2.0, engine="espeak", espeak="/bin/false")


def test_engine_tones_never_runs_espeak(tmp_path: Path) -> None:
    program = _fake_program(tmp_path, f"touch {tmp_path}/ran")
    audio = render("welcome", "en", "Welcome", voice="en", seconds=1.0, engine="tones", espeak=program)
    assert audio.engine is Engine.TONES
    assert not (tmp_path / "ran").exists()


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(PromptError, match="unknown engine 'festival'"):
        render("welcome", "en", "Welcome", voice="en", seconds=1.0, engine="festival")


def test_a_file_that_is_not_a_wav_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_text("not audio", encoding="utf-8")
    with pytest.raises(PromptError, match=r"x\.wav: not a WAV file"):
        wav_info(path)


# ----------------------------------------------------------------------
# cti prompts build
# ----------------------------------------------------------------------

PLAN = load_default().ivr
assert PLAN is not None


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(str(exit_.code))
    out, err = capsys.readouterr()
    return code, out, err


def _centre_file(tmp_path: Path, change: tuple[str, str] | None = None) -> Path:
    text = default_centre_text()
    if change is not None:
        assert change[0] in text
        text = text.replace(*change)
    path = tmp_path / "centre.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_build_writes_every_prompt_in_each_language_it_is_played_in(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "prompts"
    code, stdout, _ = cli(capsys, "prompts", "build", "--out", str(out), "--engine", "tones", "--json")
    assert code == 0
    doc = json.loads(stdout)
    assert sorted(p.name for p in out.iterdir()) == ["en", "zh"]  # Taiwanese callers hear the Mandarin files
    for prompt in PLAN.prompts:  # the ones the menus play and the rest of [prompts] (the call-back's)
        for language in ("zh", "en"):
            info = wav_info(out / language / f"{prompt}.wav")
            assert (info.rate, info.channels, info.sample_width) == (8000, 1, 2)
            assert info.seconds == pytest.approx(PLAN.prompt_seconds(prompt, language), abs=1 / SAMPLE_RATE)
    assert len(doc["prompts"]) == 2 * len(PLAN.prompts)
    assert {p["engine"] for p in doc["prompts"]} == {"tones"}
    assert doc["espeak"] is None
    assert doc["prompts"][0] | {"measured_s": 0} == {
        "prompt_id": "welcome",
        "language": "zh",
        "voice": "cmn",
        "engine": "tones",
        "path": "zh/welcome.wav",
        "measured_s": 0,
        "centre_s": PLAN.prompt_seconds("welcome", "zh"),
        "estimated": PLAN.prompt_text("welcome", "zh").estimated,
        "difference_s": pytest.approx(0, abs=1e-3),
    }


def test_build_prints_each_prompt_s_seconds_beside_the_centre_file_s_and_the_engine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, stdout, _ = cli(capsys, "prompts", "build", "--out", str(tmp_path / "p"), "--engine", "tones")
    assert code == 0
    assert "Prompts written to" in stdout
    welcome = next(line for line in stdout.splitlines() if "welcome" in line and " zh " in line)
    assert f"{PLAN.prompt_seconds('welcome', 'zh'):.2f}" in welcome
    assert "tones" in welcome
    assert f"{2 * len(PLAN.prompts)} prompts, 8 kHz mono 16-bit WAV" in stdout


def test_build_without_espeak_on_path_plays_tones_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, stdout, _ = cli(capsys, "prompts", "build", "--out", str(tmp_path / "p"), "--json")
    assert code == 0
    doc = json.loads(stdout)
    assert (doc["engine"], {p["engine"] for p in doc["prompts"]}) == ("auto", {"tones"})
    code, _, err = cli(capsys, "prompts", "build", "--out", str(tmp_path / "q"), "--engine", "espeak")
    assert code == 1
    assert "--engine espeak: espeak-ng is not installed" in err
    assert not (tmp_path / "q").exists()


@needs_espeak
def test_build_with_espeak_speaks_and_write_seconds_sets_only_the_seconds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    centre = _centre_file(tmp_path)
    before = tomllib.loads(centre.read_text(encoding="utf-8"))
    argv = ["prompts", "build", "--config", str(centre), "--out", str(tmp_path / "p"), "--engine", "espeak"]
    code, stdout, _ = cli(capsys, *argv, "--write-seconds", "--json")
    assert code == 0
    doc = json.loads(stdout)
    assert doc["seconds_written"] is True
    assert doc["espeak"].startswith("espeak-ng ")
    assert {p["engine"] for p in doc["prompts"]} == {"espeak"}
    after = tomllib.loads(centre.read_text(encoding="utf-8"))
    for item in doc["prompts"]:
        prompt, language = item["prompt_id"], item["language"]
        # speech, not a click (a number word or a piece of an announcement is short: "one", "三")
        assert item["measured_s"] > (0.3 if prompt.startswith(("number_", "queue_")) else 1.0)
        written = after["prompts"][prompt][language]
        assert written["seconds"] == pytest.approx(math.ceil(round(item["measured_s"] * 10, 6)) / 10)
        assert written["seconds"] >= item["measured_s"]  # rounded up: the PBX never cuts a prompt short
        old = before["prompts"][prompt][language]
        assert written["text"] == (old if isinstance(old, str) else old["text"])
        after["prompts"][prompt][language] = old
    assert after == before  # nothing else changed
    assert load_centre(centre).ivr is not None


def test_build_refuses_a_centre_without_an_ivr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = default_centre_text()
    centre = tmp_path / "small.toml"
    centre.write_text(text[: text.index("\n[ivr]\n")], encoding="utf-8")
    code, _, err = cli(capsys, "prompts", "build", "--config", str(centre), "--out", str(tmp_path / "p"))
    assert code == 1
    assert f"cti: {centre}: the centre has no [ivr] table, so it has no prompts to build" in err
    assert not (tmp_path / "p").exists()


def test_build_refuses_an_output_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("x", encoding="utf-8")
    code, _, err = cli(capsys, "prompts", "build", "--out", str(target), "--engine", "tones")
    assert code == 1
    assert f"--out: {target} is a file; give a folder for the prompts" in err
    assert target.read_text(encoding="utf-8") == "x"


def test_build_makes_its_folder_but_not_a_missing_parent(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out"
    code, _, err = cli(capsys, "prompts", "build", "--out", str(target), "--engine", "tones")
    assert code == 1
    assert f"--out: {target}: the folder {target.parent} does not exist" in err
    assert not target.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_build_refuses_a_folder_it_may_not_write_in(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = cli(capsys, "prompts", "build", "--out", str(locked), "--engine", "tones")
    assert code == 1
    assert "is not writable" in err


def test_build_replaces_its_own_prompts_but_refuses_a_folder_of_other_files_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "p"
    assert cli(capsys, "prompts", "build", "--out", str(out), "--engine", "tones", "-q")[0] == 0
    (out / "zh" / "welcome.wav").write_bytes(b"old")
    assert cli(capsys, "prompts", "build", "--out", str(out), "--engine", "tones", "-q")[0] == 0  # regenerating
    assert wav_info(out / "zh" / "welcome.wav").rate == 8000
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "en" / "draft.mp3").write_bytes(b"mine")
    (out / "zh" / "welcome.wav").write_bytes(b"old")
    code, _, err = cli(capsys, "prompts", "build", "--out", str(out), "--engine", "tones")
    assert code == 1
    assert "holds files that are not prompts (en/draft.mp3, notes.txt)" in err
    assert (out / "zh" / "welcome.wav").read_bytes() == b"old"  # nothing written
    assert cli(capsys, "prompts", "build", "--out", str(out), "--engine", "tones", "--force", "-q")[0] == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert wav_info(out / "zh" / "welcome.wav").rate == 8000


def test_write_seconds_needs_a_centre_file_to_write_into(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "prompts", "build", "--out", str(tmp_path / "p"), "--write-seconds")
    assert code == 2
    assert "--write-seconds: give the centre file to write into with --config FILE" in err


def test_write_seconds_refuses_tones_and_leaves_the_file_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    centre = _centre_file(tmp_path)
    before = centre.read_bytes()
    argv = ["prompts", "build", "--config", str(centre), "--out", str(tmp_path / "p"), "--engine", "tones"]
    code, _, err = cli(capsys, *argv, "--write-seconds")
    assert code == 1
    assert "were tone signatures, not speech" in err
    assert centre.read_bytes() == before
    assert not (tmp_path / "p").exists()


@needs_espeak
def test_a_prompt_espeak_cannot_speak_is_named_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    centre = _centre_file(
        tmp_path, ('id = "en"\nname = "English"\nvoice = "en"', 'id = "en"\nname = "English"\nvoice = "xx-nosuch"')
    )
    code, _, err = cli(capsys, "prompts", "build", "--config", str(centre), "--out", str(tmp_path / "p"))
    assert code == 1
    assert "prompt 'welcome' (en): espeak-ng -v xx-nosuch failed" in err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    ("line", "written"),
    [
        ('zh = "您好。"', 'zh = { text = "您好。", seconds = 2.5 }'),
        ("zh = '您好。'  # a literal string", "zh = { text = '您好。', seconds = 2.5 }  # a literal string"),
        ('zh = { text = "您好。", seconds = 9 }', 'zh = { text = "您好。", seconds = 2.5 }'),
        ('zh = { text = "seconds = 1 } {" }', 'zh = { text = "seconds = 1 } {", seconds = 2.5 }'),
        ('  zh={seconds=1,text="x"} # kept', '  zh={seconds=2.5,text="x"} # kept'),
    ],
)
def test_set_prompt_seconds_changes_only_the_seconds(line: str, written: str) -> None:
    text = f'# head\n[prompts.welcome]\n{line}\nen = "Hi"\n\n[hours]\ndaily = "08:30-18:30"\n'
    got = set_prompt_seconds(text, {("welcome", "zh"): 2.5}, source="c.toml")
    assert got == text.replace(line, written)


@pytest.mark.parametrize(
    "text",
    [
        '[prompts.welcome]\nzh = """\n您好。\n"""\n',  # a multi-line string
        '[prompts]\nwelcome.zh = "您好。"\n',  # a dotted key, not a [prompts.welcome] table
    ],
)
def test_set_prompt_seconds_refuses_a_layout_it_cannot_change_safely(text: str) -> None:
    with pytest.raises(UsageError, match="set its seconds by hand"):
        set_prompt_seconds(text, {("welcome", "zh"): 2.5}, source="c.toml")
