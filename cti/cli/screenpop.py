"""A stored screen pop, shown: masked unless a supervisor asked, as tables or JSON.

``cti calls show``, ``cti cases show`` and ``cti directory show`` show the
same pop an agent's seat rang with (for ``directory show``, the one it would
ring with now).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from cti.casework.privacy import mask_record
from cti.cli import times
from cti.cli.tables import Column, print_table, time_text
from cti.cli.terminal import markup
from cti.store import Store

_HISTORY = (
    Column("when"),
    Column("call", priority=3),
    Column("system"),
    Column("outcome", priority=1),
    Column("agent", priority=2),
    Column("case", priority=3),
    Column("disposition", priority=1),
    Column("notes", priority=4, fold=True, min_width=12),
)
_OPEN_CASES = (
    Column("case"),
    Column("system"),
    Column("status", priority=1),
    Column("tier", priority=1),
    Column("owner", priority=2, wrap=True),
    Column("priority", priority=3),
    Column("due", priority=1),
)


def masked_pop(pop: dict[str, Any], unmasked: bool) -> dict[str, Any]:
    """A stored screen pop for showing: phone numbers, and numbers and IDs in any text (notes, IVR values,
    names), masked unless ``unmasked``."""
    if unmasked:
        return pop
    masked: dict[str, Any] = mask_record(pop)
    return masked


async def pop_for_view(store: Store, pop: dict[str, Any], unmasked: bool) -> dict[str, Any]:
    """A stored pop as a supervisor or anyone else may see it: unmasked, the national ID comes from the directory."""
    pop = masked_pop(pop, unmasked)
    profile = pop.get("profile")
    if unmasked and profile:
        person = await store.person(profile["person_id"])
        if person is not None:
            pop["profile"] = dict(profile, national_id=person.national_id)
    return pop


def pop_json(pop: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """A pop, as :func:`pop_for_view` gives it, in the JSON's names: ``caller_number``, times ISO 8601 in ``tz``.

    The shape is ``$defs/screen_pop`` in ``cti/cli/schemas/common.json``.
    """
    doc = {"caller_number": pop["caller"], **{k: v for k, v in pop.items() if k != "caller"}}
    doc["history"] = [dict(c, at=_iso(c["at"], tz)) for c in pop.get("history", [])]
    doc["open_cases"] = [
        dict(c, created_at=_iso(c["created_at"], tz), due_at=_iso(c["due_at"], tz)) for c in pop.get("open_cases", [])
    ]
    return doc


def _iso(t: float | None, tz: ZoneInfo) -> str | None:
    return None if t is None else times.iso(t, tz)


def print_pop(out: Console, pop: dict[str, Any], tz: ZoneInfo, *, title: str = "Screen pop") -> None:
    """A screen pop, as :func:`pop_for_view` gives it, as tables."""
    profile = pop.get("profile")
    case = f" (case {markup(pop['case_id'])})" if pop.get("case_id") else ""
    out.print(f"[bold]{markup(title)}[/] for {markup(pop['caller'])}{case}")
    if profile:
        synthetic = " [dim](synthetic)[/]" if profile["synthetic"] else ""
        p = {key: markup(str(value)) for key, value in profile.items()}
        out.print(
            f"  {p['name']}, {p['title']}, {p['agency']}{synthetic}\n"
            f"  office {p['office_phone']}, mobile {p['mobile']}, {p['email']}, "
            f"ID {p['national_id']}, person {p['person_id']}"
        )
    else:
        out.print("  unknown caller (not in the directory)")
    if pop.get("unknown"):
        out.print("  this centre does not know the call's " + " or ".join(pop["unknown"]))
    if pop.get("language"):
        out.print(f"  language: {markup(pop['language'])}")
    if pop.get("ivr"):
        out.print("  IVR: " + ", ".join(f"{markup(key)}={markup(value)}" for key, value in pop["ivr"].items()))
    history = pop.get("history", [])
    if history:
        rows = [
            [
                time_text(c["at"], tz),
                c["call_id"],
                c["system"] or "–",
                c["outcome"] or "in progress",
                c["agent_id"] or "–",
                c["case_id"] or "–",
                c["disposition"] or "–",
                c["notes"] or "",
            ]
            for c in history
        ]
        print_table(out, f"Last contacts ({tz.key})", _HISTORY, rows)
    else:
        out.print("  no earlier contacts")
    cases = pop.get("open_cases", [])
    if cases:
        rows = [
            [
                c["case_id"],
                c["system"],
                c["status"],
                c["tier"],
                c["owner"] or "–",
                c["priority"],
                time_text(c["due_at"], tz),
            ]
            for c in cases
        ]
        print_table(out, f"Open cases ({tz.key})", _OPEN_CASES, rows)
        if pop.get("open_cases_total", 0) > len(cases):
            out.print(f"  and {pop['open_cases_total'] - len(cases)} older open case(s) not shown")
    else:
        out.print("  no other open cases" if pop.get("case_id") else "  no open cases")
