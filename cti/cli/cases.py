"""The ``cti cases`` commands: listing, showing and changing cases, and the chasing list."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text

from cti.casework import cases as k
from cti.casework.access import current_user
from cti.casework.limits import NAME_MAX, NOTE_MAX, text_problem
from cti.casework.privacy import mask_record, mask_text
from cti.cli import times
from cti.cli.audit import audit_unmasked
from cti.cli.options import at_or_now, centre_for, with_store
from cti.cli.output import console, emit_json
from cti.cli.roles import supervisor
from cti.cli.screenpop import pop_for_view, pop_json, print_pop
from cti.cli.tables import Column, print_table, time_text
from cti.cli.terminal import clean, markup
from cti.errors import CommandLineError, UsageError
from cti.store import Store

EXIT_OK = 0


def _iso(t: float | None, tz: ZoneInfo) -> str:
    return times.iso(t, tz)


def _short(t: float | None, tz: ZoneInfo) -> str:
    return "–" if t is None else time_text(t, tz)


def case_dict(case: k.CaseRecord, tz: ZoneInfo, at: float, *, unmasked: bool) -> dict[str, Any]:
    """A case as JSON (``$defs/case`` in ``cti/cli/schemas/common.json``): the caller's number masked unless asked.

    An agency nobody knows is stored empty and given as null.
    """
    row = {("caller_number" if key == "caller" else key): value for key, value in asdict(case).items()}
    if not unmasked:
        row = mask_record(row)
    row["agency"] = case.agency or None
    for name in ("created_at", "due_at", "closed_at"):
        row[name] = _iso(row[name], tz) or None
    row["overdue"] = case.overdue(at)
    return row


# ----------------------------------------------------------------------
# cti cases list / chase
# ----------------------------------------------------------------------


def list_command(args: argparse.Namespace) -> int:
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    at = at_or_now(args, centre)

    async def work(store: Store) -> int:
        found = await store.cases(
            status=tuple(args.status or ()),
            tier=args.tier,
            owner=args.owner,
            due_before=at if args.overdue else None,
            open_only=args.overdue or args.open,
        )
        if args.json is not None and emit_json(args, [case_dict(c, tz, at, unmasked=False) for c in found]):
            return EXIT_OK
        if args.ids:
            print("\n".join(c.case_id for c in found), end="\n" if found else "")
            return EXIT_OK
        what = "overdue cases" if args.overdue else "cases"
        rows = []
        for c in found:
            due = _short(c.due_at, tz)
            rows.append(
                [
                    c.case_id,
                    _short(c.created_at, tz),
                    c.system,
                    c.agency or "–",
                    c.status,
                    c.tier,
                    mask_text(c.owner or "–"),
                    c.priority,
                    Text(f"{due} overdue", style="red") if c.overdue(at) else due,
                    c.disposition or "–",
                ]
            )
        print_table(
            console(),
            f"{len(found)} {what} as of {_short(at, tz)} ({centre.info.timezone})",
            _CASE_COLUMNS,
            rows,
        )
        return EXIT_OK

    return with_store(args.db, work)


_CASE_COLUMNS = (
    Column("case"),
    Column("created", priority=5),
    Column("system", priority=1),
    Column("agency", priority=3),
    Column("status", priority=1),
    Column("tier", priority=2),
    Column("owner", priority=4, wrap=True),
    Column("priority", priority=4),
    Column("due", priority=1, wrap=True, min_width=16),  # the date and time on one line, "overdue" below
    Column("disposition", priority=5),
)


def chase_command(args: argparse.Namespace) -> int:
    """The daily chasing list (稽催): open cases past due, by tier and owner, most overdue first."""
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    at = at_or_now(args, centre)

    async def work(store: Store) -> int:
        overdue = await store.cases(open_only=True, due_before=at)
        groups: dict[tuple[str, str | None], list[k.CaseRecord]] = {}
        order = {t.value: i for i, t in enumerate(k.Tier)}
        for c in sorted(overdue, key=lambda c: (order.get(c.tier, 99), c.owner or "", c.due_at)):
            groups.setdefault((c.tier, c.owner), []).append(c)
        if args.json is not None:
            doc = {
                "at": _iso(at, tz),
                "overdue_cases": len(overdue),
                "groups": [
                    {
                        "tier": tier,
                        "owner": owner and mask_text(owner),
                        "cases": [
                            {"case_id": c.case_id, "due_at": _iso(c.due_at, tz), "days_overdue": _days(at - c.due_at)}
                            for c in cases
                        ],
                    }
                    for (tier, owner), cases in groups.items()
                ],
            }
            if emit_json(args, doc):
                return EXIT_OK
        rows = []
        for (tier, owner), cases in groups.items():
            ids = ", ".join(c.case_id for c in cases[:6]) + (f" and {len(cases) - 6} more" if len(cases) > 6 else "")
            rows.append(
                [
                    tier,
                    mask_text(owner or "(call-back queue)"),
                    str(len(cases)),
                    f"{_days(at - cases[0].due_at):g} days",
                    ids,
                ]
            )
        title = (
            f"Chasing list for {_short(at, tz)} ({centre.info.timezone}): {len(overdue)} case(s) past due, "
            "most overdue first"
        )
        columns = (
            Column("tier"),
            Column("owner", wrap=True),
            Column("cases", justify="right"),
            Column("most overdue", priority=1),
            Column("case ids", priority=2, wrap=True),
        )
        print_table(console(), title, columns, rows)
        return EXIT_OK

    return with_store(args.db, work)


def _days(seconds: float) -> float:
    return round(seconds / k.DAY_S, 1)


# ----------------------------------------------------------------------
# cti cases show
# ----------------------------------------------------------------------


def show_command(args: argparse.Namespace) -> int:
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    at = time.time()
    member = supervisor(args.db, args.by) if args.unmasked else None

    async def work(store: Store) -> int:
        case = await _get(store, args.case_id)
        if member is not None:
            await audit_unmasked(store, member, "show-case-unmasked", case.case_id)
        steps = await store.case_steps(case.case_id)
        unmasked = member is not None
        if not unmasked:
            steps = [
                replace(
                    s, note=s.note and mask_text(s.note), actor=mask_text(s.actor), owner=s.owner and mask_text(s.owner)
                )
                for s in steps
            ]
        stored = await store.screen_pops(case.call_id) if case.call_id else None
        pop = await pop_for_view(store, json.loads(stored), unmasked) if stored else None
        if args.json is not None:
            doc = case_dict(case, tz, at, unmasked=unmasked)
            doc["journal"] = [{**asdict(s), "at": _iso(s.at, tz), "due_at": _iso(s.due_at, tz) or None} for s in steps]
            doc["screen_pop"] = None if pop is None else pop_json(pop, tz)
            if emit_json(args, doc):
                return EXIT_OK
        out = console()
        shown = {key: markup(str(value or "–")) for key, value in case_dict(case, tz, at, unmasked=unmasked).items()}
        out.print(f"[bold]Case {shown['case_id']}[/]  {shown['status']}, {shown['tier']}, owner {shown['owner']}")
        out.print(
            f"call {shown['call_id']} from {shown['caller_number']} (person {markup(case.person_id or 'unknown')}), "
            f"agency {shown['agency']}, system {shown['system']}, channel {shown['channel']}, "
            f"priority {shown['priority']}"
        )
        out.print(
            f"created {_short(case.created_at, tz)}, due {_short(case.due_at, tz)}"
            + (f", closed {_short(case.closed_at, tz)}" if case.closed_at else "")
            + (" [red]overdue[/]" if case.overdue(at) else "")
        )
        out.print(f"disposition {shown['disposition']}; notes: {shown['notes']}")
        rows = [
            [
                _short(s.at, tz),
                s.actor,
                s.action,
                s.status,
                s.tier,
                s.owner or "–",
                _short(s.due_at, tz),
                s.note or "",
            ]
            for s in steps
        ]
        columns = (
            Column("when"),
            Column("who", wrap=True),
            Column("action"),
            Column("status", priority=2),
            Column("tier", priority=1),
            Column("owner", priority=3, wrap=True),
            Column("due", priority=2),
            Column("note", fold=True, min_width=12),
        )
        print_table(out, f"Journal ({centre.info.timezone})", columns, rows)
        if pop is not None:
            print_pop(out, pop, tz)
        return EXIT_OK

    return with_store(args.db, work)


async def _refuse_while_live(store: Store, case: k.CaseRecord) -> None:
    """While its call is in progress or in wrap-up, a case belongs to the server that routes the call."""
    if case.call_id is None:
        return
    call = await store.call_by_id(case.call_id)
    if call is None:
        return
    finished = call.outcome is not None and (call.outcome != "answered" or call.wrap_up_end_at is not None)
    ended = {r[0]: r[2] for r in await store.runs()}.get(call.run_id) is not None
    if not finished and not ended:
        raise UsageError(
            f"case {case.case_id}: its call {call.call_id} is still in progress in run {call.run_id}; the server "
            "owns the case until the call and its wrap-up end (a run that was killed is recovered at its next start)"
        )


async def _get(store: Store, case_id: str) -> k.CaseRecord:
    case = await store.get_case(case_id)
    if case is None:
        raise UsageError(f"no case {case_id!r} in {store.path}")
    return case


# ----------------------------------------------------------------------
# cti cases escalate / close / reopen / assign
# ----------------------------------------------------------------------


def _check_text(args: argparse.Namespace, actor: str) -> None:
    """A note, owner or actor too long, or with a control character, is refused before anything changes."""
    given = [("--note", getattr(args, "note", None), NOTE_MAX), ("--owner", getattr(args, "owner", None), NAME_MAX)]
    given.append(("--by" if args.by else "the user name ($CTI_USER or the login name)", actor, NAME_MAX))
    for option, value, limit in given:
        problem = None if value is None else text_problem(value, limit, lines=option == "--note")
        if problem is not None:
            raise CommandLineError(f"{option}: {problem}; nothing was changed")


def change_command(args: argparse.Namespace) -> int:
    centre = centre_for(args)
    tz = ZoneInfo(centre.info.timezone)
    actor = args.by or current_user()
    now = at_or_now(args, centre)
    if getattr(args, "note", None) is not None and not args.note.strip():
        raise CommandLineError("--note: empty; say what was done or why")
    if getattr(args, "owner", None) is not None and not args.owner.strip():
        raise CommandLineError("--owner: empty; name who takes the case")
    _check_text(args, actor)

    async def work(store: Store) -> int:
        case = await _get(store, args.case_id)
        await _refuse_while_live(store, case)
        # A step dated out of range (stored by an older version) does not hold later steps back.
        steps = [s for s in await store.case_steps(case.case_id) if times.in_range(s.at)]
        latest = max(time.time(), steps[-1].at if steps else case.created_at)
        if now > latest + k.DAY_S:
            raise CommandLineError(
                f"--at: {_iso(now, tz)} is in the future; a step is dated when it is done (at most a day after "
                f"now or the case's last step)"
            )
        if steps and now < steps[-1].at:
            raise UsageError(
                f"--at: {_iso(now, tz)} is before the case's last step ({steps[-1].action} at {_iso(steps[-1].at, tz)})"
            )
        try:
            if args.cases_command == "escalate":
                priority = k.Priority.URGENT if args.urgent else None
                step = k.escalate(
                    centre, case, k.Tier(args.to), now, actor, owner=args.owner, priority=priority, note=args.note
                )
            elif args.cases_command == "close":
                if args.disposition is not None and args.disposition not in centre.cases.dispositions:
                    raise UsageError(
                        f"--disposition: {args.disposition!r} is not one of: {', '.join(centre.cases.dispositions)}"
                    )
                step = k.close(case, now, actor, note=args.note, disposition=args.disposition)
            elif args.cases_command == "reopen":
                step = k.reopen(centre.cases, case, now, actor, note=args.note)
            else:
                tier = k.Tier(args.tier) if args.tier else None
                step = k.reassign(centre.cases, case, now, actor, owner=args.owner, tier=tier, note=args.note)
        except k.CaseError as exc:
            raise UsageError(str(exc)) from None
        await store.update_case(case, step)
        print(
            clean(
                f"{case.case_id}: {step.action} by {actor}; now {case.status}, {case.tier}, "
                f"owner {case.owner or '–'}, due {_short(case.due_at, tz)}"
            )
        )
        return EXIT_OK

    return with_store(args.db, work)
