"""The screen pop: what an agent's seat shows when a call rings.

The caller's directory entry (national ID masked), their last contacts
(newest first), their open cases (newest first, at most :data:`OPEN_CASES`,
with the total) and the call's IVR choices. The agent sees phone numbers, to
call back, but no national ID: not the profile's, and none written in a
contact's notes or an IVR value. The server's case desk builds
one for every call that enters a queue; ``cti directory show`` builds the
same one on demand.
"""

from __future__ import annotations

from collections.abc import Iterable

from cti.casework import cases as k
from cti.casework.people import Person
from cti.casework.privacy import mask_national_id
from cti.live import messages as m
from cti.store import CallRecord

HISTORY = 5
OPEN_CASES = 10  # at most this many open cases in a pop (newest first); the total is given too


def screen_pop(
    caller: str,
    person: Person | None,
    contacts: Iterable[CallRecord],
    open_cases: Iterable[k.CaseRecord],
    *,
    ivr: dict[str, str],
    case_id: str | None,
    profile: m.Profile | None = None,
    history: int = HISTORY,
    open_total: int | None = None,
    unknown: tuple[str, ...] = (),
    language: str | None = None,
) -> m.ScreenPop:
    """The pop for a caller: their profile, last ``history`` contacts and newest open cases, newest first.

    ``open_total``: how many open cases the caller has, if ``open_cases`` holds only the newest.

    ``unknown`` names what the centre does not know of the call (``system``: it went to the general queue;
    ``agency``: one the centre does not list, or none given in the IVR); ``language`` the caller's, chosen in the IVR.
    """
    newest = sorted(contacts, key=lambda c: (c.arrived_at, c.call_id), reverse=True)[:history]
    cases = sorted(open_cases, key=_newest_first)
    return m.ScreenPop(
        caller=caller,
        profile=profile or (make_profile(person) if person is not None else None),
        history=[_contact(c) for c in newest],
        open_cases=[_brief(c) for c in cases[:OPEN_CASES]],
        open_cases_total=len(cases) if open_total is None else open_total,
        ivr={mask_national_id(key): mask_national_id(value) for key, value in ivr.items()},
        case_id=case_id,
        unknown=list(unknown),
        language=language,
    )


def _newest_first(case: k.CaseRecord) -> tuple[float, str]:
    return (-case.created_at, case.case_id)


def make_profile(p: Person) -> m.Profile:
    return m.Profile(
        person_id=p.person_id,
        name=mask_national_id(p.name),
        agency=p.agency,
        title=mask_national_id(p.title),
        office_phone=p.office_phone,
        mobile=p.mobile,
        email=mask_national_id(p.email),
        national_id=mask_national_id(p.national_id),
        synthetic=p.synthetic,
    )


def _contact(c: CallRecord) -> m.Contact:
    return m.Contact(
        call_id=c.call_id,
        at=c.arrived_at,
        channel=c.channel,
        system=c.system,
        outcome=c.outcome,
        agent_id=c.agent,
        case_id=c.case_id,
        disposition=c.disposition,
        notes=c.notes and mask_national_id(c.notes),
    )


def _brief(c: k.CaseRecord) -> m.CaseBrief:
    return m.CaseBrief(
        case_id=c.case_id,
        system=c.system,
        status=c.status,
        tier=c.tier,
        owner=c.owner,
        priority=c.priority,
        created_at=c.created_at,
        due_at=c.due_at,
    )
