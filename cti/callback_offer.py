"""The centre file's ``[callback]`` table: offering a queued caller a call-back that keeps their place.

After ``offer_after_s`` in the queue a caller hears the prompt
``queue_callback_offer`` (press 1 to be called back without losing their
place); on 1 they hear ``queue_callback_thanks`` and hang up, and the call
stays queued as a call-back request (:class:`routing.CallbackRequested`).
When its turn comes and an agent accepts it, the PBX dials the caller for up
to ``ring_s``; an unanswered dial is retried ``retries`` more times, each
after ``retry_delay_s`` out of the queue, back at the call's original place;
after the last, a call-back case is left for the case desk.

The table needs the IVR beside it (``[ivr]``): its prompts are read from
``[prompts]``, in every prompt language. Without the table, or with
``enabled = false``, nothing is offered and the centre behaves as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: The prompts a ``[callback]`` table needs in ``[prompts]``.
OFFER_PROMPT = "queue_callback_offer"
THANKS_PROMPT = "queue_callback_thanks"
CALLBACK_PROMPTS = (OFFER_PROMPT, THANKS_PROMPT)
#: The key that accepts the offer.
ACCEPT_KEY = "1"


@dataclass(frozen=True, slots=True)
class CallbackOffer:
    """A validated ``[callback]`` table (see the module's description)."""

    enabled: bool = True
    offer_after_s: float = 60.0
    retries: int = 2
    retry_delay_s: float = 300.0
    ring_s: float = 30.0


class CallbackTableError(Exception):
    """One problem in a ``[callback]`` table: the field's path, what is wrong, what was found and expected."""

    def __init__(self, path: str, problem: str, value: Any = None, expected: str = "") -> None:
        self.path = path
        self.problem = problem
        self.value = value
        self.expected = expected
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"{self.path}: {self.problem}"
        if self.value is not None:
            text += f"; got {self.value!r}"
        if self.expected:
            text += f", expected {self.expected}"
        return text


#: Each number: (lowest, highest, whole numbers only).
_NUMBERS: dict[str, tuple[float, float, bool]] = {
    "offer_after_s": (5, 3600, False),
    "retries": (0, 9, True),
    "retry_delay_s": (0, 86_400, False),
    "ring_s": (5, 120, False),
}
_KEYS = ("enabled", *_NUMBERS)


def callback_from_mapping(table: object, prompts: dict[str, Any] | None, prompt_languages: list[str]) -> CallbackOffer:
    """Validate a ``[callback]`` table; ``prompts`` is the IVR plan's (``None``: no ``[ivr]``).

    ``prompt_languages``: the languages with prompts of their own, each of which must
    have both call-back prompts. Raises :class:`CallbackTableError` for the first problem.
    """
    if not isinstance(table, dict):
        raise CallbackTableError("callback", "not a table", table, "a [callback] table")
    for key in table:
        if key not in _KEYS:
            raise CallbackTableError(f"callback.{key}", "unknown key", None, "one of: " + ", ".join(_KEYS))
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise CallbackTableError("callback.enabled", "not true or false", enabled, "true or false")
    values: dict[str, float] = {}
    defaults = CallbackOffer()
    for key, (low, high, whole) in _NUMBERS.items():
        value = table.get(key, getattr(defaults, key))
        kind = "a whole number" if whole else "a number"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (whole and not isinstance(value, int))
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise CallbackTableError(f"callback.{key}", "out of range", value, f"{kind} from {low:g} to {high:g}")
        values[key] = value
    if prompts is None:
        raise CallbackTableError(
            "callback", "the call-back offer is played by the IVR", None, "an [ivr] table beside [callback]"
        )
    for prompt in CALLBACK_PROMPTS:
        if prompt not in prompts:
            raise CallbackTableError(
                f"prompts.{prompt}", "missing prompt (used by [callback])", None, f"a [prompts.{prompt}] table"
            )
        for language in prompt_languages:
            if language not in prompts[prompt]:
                raise CallbackTableError(
                    f"prompts.{prompt}.{language}",
                    f"prompt missing in language {language!r}",
                    None,
                    f'{language} = "…"',
                )
    return CallbackOffer(
        enabled,
        float(values["offer_after_s"]),
        int(values["retries"]),
        float(values["retry_delay_s"]),
        float(values["ring_s"]),
    )
