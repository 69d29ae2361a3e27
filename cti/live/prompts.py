"""Prompt audio: what the PBX plays to a caller, as 8 kHz mono 16-bit PCM WAV.

A prompt's text in one language is spoken by espeak-ng when it is installed
(it speaks Mandarin, ``cmn``, and English, ``en``), and otherwise stands in
as a tone signature: a few short tones, the same for the same prompt and
language every time, repeated for as long as the prompt lasts.

espeak-ng writes 22,050 Hz audio; it is brought to the telephone's 8 kHz by
a windowed-sinc low-pass filter (the band below 3.6 kHz kept, nothing above
4 kHz left to fold back as aliasing) evaluated at each output instant.

The text comes from a centre file, which is input like any other: it goes to
espeak-ng on its standard input, never on the command line and never through
a shell, so a text such as ``-w /etc/passwd`` is spoken, not obeyed. The
voice is checked to be a voice name. espeak-ng runs with a time limit.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cti.errors import CtiError

#: The telephone's sampling rate, and the WAV format every prompt has.
SAMPLE_RATE = 8_000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM

ESPEAK = "espeak-ng"
#: espeak-ng gets this long (wall clock) to speak one prompt.
ESPEAK_TIMEOUT_S = 30.0
#: The longest prompt text spoken (a prompt is a sentence or two, not a document).
MAX_TEXT_CHARS = 2_000
#: The longest prompt, in seconds, either engine writes.
MAX_SECONDS = 600.0
#: The low-pass filter's cut-off (Hz) and half-length in input samples.
CUTOFF_HZ = 3_600.0
HALF_TAPS = 80
KAISER_BETA = 8.6

#: A voice name as espeak-ng knows them: ``cmn``, ``en``, ``en-us``, ``zh+f3``, ``sit/cmn``.
_VOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+/-]{0,63}")
#: Control characters a prompt text may not hold (a tab and new lines are allowed: they are spaces).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

Samples = npt.NDArray[np.int16]


class Engine(StrEnum):
    """What made a prompt's audio."""

    ESPEAK = "espeak"  # espeak-ng spoke the text
    TONES = "tones"  # the tone signature stood in for it


#: ``--engine``: ``auto`` is espeak-ng when installed (and the language has a voice), else tones.
ENGINE_CHOICES = ("auto", Engine.ESPEAK.value, Engine.TONES.value)


class PromptError(CtiError):
    """A prompt could not be rendered; the message names the prompt and why."""


@dataclass(frozen=True, eq=False)
class Audio:
    """One rendered prompt: 8 kHz mono 16-bit samples and the engine that made them."""

    samples: Samples
    engine: Engine

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def wav(self) -> bytes:
        """The prompt as a WAV file's bytes."""
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(CHANNELS)
            w.setsampwidth(SAMPLE_WIDTH)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(self.samples.astype("<i2").tobytes())
        return out.getvalue()


@dataclass(frozen=True)
class WavInfo:
    """What a WAV file's header says, and its length."""

    rate: int
    channels: int
    sample_width: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def wav_info(path: Path) -> WavInfo:
    """The header of the WAV file at ``path`` (:class:`PromptError` if it is not one)."""
    try:
        with wave.open(str(path), "rb") as w:
            return WavInfo(w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes())
    except (wave.Error, EOFError) as err:
        raise PromptError(f"{path}: not a WAV file ({err})") from None


def find_espeak() -> str | None:
    """The espeak-ng program on ``PATH``, or None."""
    return shutil.which(ESPEAK)


# ----------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------


def render(
    prompt: str,
    language: str,
    text: str,
    *,
    voice: str | None,
    seconds: float,
    engine: str = "auto",
    espeak: str | None = None,
    timeout_s: float = ESPEAK_TIMEOUT_S,
) -> Audio:
    """One prompt in one language.

    ``engine``: ``espeak`` speaks ``text`` with ``voice`` (an error if
    espeak-ng is missing or the language has no voice), ``tones`` plays the
    prompt's tone signature for ``seconds``, ``auto`` speaks when it can and
    plays tones otherwise. ``espeak`` is the program (default: found on ``PATH``).
    """
    if engine not in ENGINE_CHOICES:
        raise PromptError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINE_CHOICES)}")
    where = f"prompt {prompt!r} ({language})"
    program = espeak or (find_espeak() if engine != Engine.TONES else None)
    if engine == Engine.ESPEAK:
        if program is None:
            raise PromptError(f"{where}: {ESPEAK} is not installed (apt-get install {ESPEAK}), or use --engine tones")
        if voice is None:
            raise PromptError(f"{where}: the language has no espeak-ng voice (voice = ... in [[languages]])")
    if engine != Engine.TONES and program is not None and voice is not None:
        return speak(text, voice, program=program, timeout_s=timeout_s, where=where)
    return tones(prompt, language, seconds)


def speak(
    text: str,
    voice: str,
    *,
    program: str | None = None,
    timeout_s: float = ESPEAK_TIMEOUT_S,
    where: str = "prompt",
) -> Audio:
    """``text`` spoken by espeak-ng with ``voice``, resampled to 8 kHz."""
    check_text(text, where)
    if not _VOICE.fullmatch(voice) or ".." in voice:
        raise PromptError(f"{where}: {voice!r} is not an espeak-ng voice name (such as 'cmn' or 'en')")
    program = program or find_espeak()
    if program is None:
        raise PromptError(f"{where}: {ESPEAK} is not installed (apt-get install {ESPEAK})")
    with tempfile.TemporaryDirectory(prefix="cti-prompt-") as tmp:
        out = Path(tmp) / "spoken.wav"
        # The text goes in on standard input (--stdin), as UTF-8 (-b 1): never as an argument, never via a shell.
        argv = [program, "-v", voice, "-b", "1", "-w", str(out), "--stdin"]
        try:
            done = subprocess.run(
                argv,
                input=" ".join(text.split()).encode("utf-8"),
                capture_output=True,
                timeout=timeout_s,
                check=False,
                env={**os.environ, "LC_ALL": "C.UTF-8"},
            )
        except subprocess.TimeoutExpired:
            raise PromptError(f"{where}: {ESPEAK} took longer than {timeout_s:g} s") from None
        except OSError as err:
            raise PromptError(f"{where}: cannot run {program}: {err.strerror or err}") from None
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if done.returncode != 0 or not out.exists():
            why = said[0] if said else f"exit status {done.returncode}"
            raise PromptError(f"{where}: {ESPEAK} -v {voice} failed: {why}")
        rate, samples = _read_pcm(out, where)
    if len(samples) == 0:
        raise PromptError(f"{where}: {ESPEAK} -v {voice} produced no audio")
    if len(samples) / rate > MAX_SECONDS:
        raise PromptError(f"{where}: longer than {MAX_SECONDS:g} s when spoken")
    return Audio(to_int16(resample(samples, rate, SAMPLE_RATE)), Engine.ESPEAK)


def check_text(text: str, where: str = "prompt") -> None:
    """A prompt text espeak-ng may be given: some words, not too long, no control characters."""
    if not isinstance(text, str) or not text.strip():
        raise PromptError(f"{where}: the text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise PromptError(f"{where}: the text is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,}")
    bad = _CONTROL.search(text)
    if bad is not None:
        raise PromptError(f"{where}: the text holds a control character (U+{ord(bad.group()):04X})")


def _read_pcm(path: Path, where: str) -> tuple[int, npt.NDArray[np.float64]]:
    """A 16-bit WAV file's rate and samples (mono: channels averaged), as floats from -1 to 1."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            # espeak-ng's header may give a placeholder length: read to the end of the data.
            data = w.readframes(2**31 - 1)
    except (wave.Error, EOFError) as err:
        raise PromptError(f"{where}: {ESPEAK} wrote no usable WAV ({err})") from None
    if width != SAMPLE_WIDTH or rate <= 0 or channels < 1:
        raise PromptError(f"{where}: {ESPEAK} wrote {width * 8}-bit audio at {rate} Hz; expected 16-bit")
    pcm = np.frombuffer(data[: len(data) - len(data) % (width * channels)], dtype="<i2").astype(np.float64)
    return rate, pcm.reshape(-1, channels).mean(axis=1) / 32768.0


# ----------------------------------------------------------------------
# Resampling
# ----------------------------------------------------------------------


def resample(samples: npt.NDArray[np.float64], rate_in: int, rate_out: int) -> npt.NDArray[np.float64]:
    """``samples`` at ``rate_in`` Hz as samples at ``rate_out`` Hz, low-passed below both Nyquist frequencies.

    Each output sample is the input convolved with a Kaiser-windowed sinc
    centred on its instant (``HALF_TAPS`` input samples either side). The
    ratio is reduced to ``up/down`` (22,050 to 8,000 Hz is 160/441), so the
    output instants fall on ``up`` fractional positions between input samples:
    one filter per position, each applied to every output sample at it.
    """
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError("sampling rates must be positive")
    x = np.asarray(samples, dtype=np.float64)
    if rate_in == rate_out or len(x) == 0:
        return x.copy()
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    n_out = -(-len(x) * up // down)  # ceil: the output covers the whole input
    cutoff = min(CUTOFF_HZ, 0.45 * min(rate_in, rate_out)) / rate_in  # cycles per input sample
    offsets = np.arange(-HALF_TAPS + 1, HALF_TAPS + 1)
    padded = np.concatenate([np.zeros(HALF_TAPS), x, np.zeros(HALF_TAPS + down + 1)])
    out = np.empty(n_out)
    for phase in range(min(up, n_out)):
        k0, rem = divmod(phase * down, up)  # output n = phase + up*m sits at input position k0 + rem/up + down*m
        distance = offsets - rem / up
        window = np.i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (distance / HALF_TAPS) ** 2, 0.0, 1.0))) / np.i0(KAISER_BETA)
        taps = 2 * cutoff * np.sinc(2 * cutoff * distance) * window
        taps /= taps.sum()  # unity gain at 0 Hz
        count = len(range(phase, n_out, up))
        starts = HALF_TAPS + k0 + down * np.arange(count)
        out[phase::up] = padded[starts[:, None] + offsets[None, :]] @ taps
    return out


def to_int16(samples: npt.NDArray[np.float64]) -> Samples:
    """Floats from -1 to 1 as 16-bit samples (clipped)."""
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


# ----------------------------------------------------------------------
# The tone signature
# ----------------------------------------------------------------------

#: The notes a signature is made of (C major, C5 to C6, in Hz): well inside the telephone band.
NOTES_HZ = (523.25, 587.33, 659.25, 698.46, 783.99, 880.00, 987.77, 1046.50)
TONES_PER_SIGNATURE = 4
TONE_S = 0.15
GAP_S = 0.05
PAUSE_S = 0.4
TONE_LEVEL = 0.3  # of full scale
FADE_S = 0.01


def signature(prompt: str, language: str) -> tuple[float, ...]:
    """The notes (Hz) of a prompt's tone signature: from a hash of its id and language, so stable everywhere."""
    digest = hashlib.sha256(f"{language}/{prompt}".encode()).digest()
    return tuple(NOTES_HZ[b % len(NOTES_HZ)] for b in digest[:TONES_PER_SIGNATURE])


def tones(prompt: str, language: str, seconds: float) -> Audio:
    """The prompt's tone signature, repeated with a pause between, lasting ``seconds``."""
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
        raise PromptError(
            f"prompt {prompt!r} ({language}): {seconds!r} s is not a prompt length; expected more than 0, "
            f"at most {MAX_SECONDS:g}"
        )
    total = max(1, round(seconds * SAMPLE_RATE))
    cycle = _signature_cycle(signature(prompt, language))
    reps = -(-total // len(cycle))
    out = np.tile(cycle, reps)[:total]
    fade = min(round(FADE_S * SAMPLE_RATE), total // 2)
    if fade:
        out[-fade:] *= np.linspace(1.0, 0.0, fade)  # a cut-off tone ends without a click
    return Audio(to_int16(out), Engine.TONES)


def _signature_cycle(notes: tuple[float, ...]) -> npt.NDArray[np.float64]:
    tone_n = round(TONE_S * SAMPLE_RATE)
    t = np.arange(tone_n) / SAMPLE_RATE
    fade_n = round(FADE_S * SAMPLE_RATE)
    envelope = np.ones(tone_n)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade_n) / fade_n)  # raised cosine: no click at either end
    envelope[:fade_n] = ramp
    envelope[-fade_n:] = ramp[::-1]
    gap = np.zeros(round(GAP_S * SAMPLE_RATE))
    parts: list[npt.NDArray[np.float64]] = []
    for hz in notes:
        parts += [TONE_LEVEL * envelope * np.sin(2 * np.pi * hz * t), gap]
    parts.append(np.zeros(round(PAUSE_S * SAMPLE_RATE)))
    return np.concatenate(parts)
