"""Cases: escalation up the tiers, due dates, and the steps that are refused."""

from __future__ import annotations

import pytest

from cti.casework import cases as k
from routing.centre import CaseRules
from routing.testing import agent, centre

DAY = 86_400.0
CENTRE = centre([agent("N1", "nantou", {"webhr": 3})])
RULES = CENTRE.cases


def new(priority: str = k.Priority.NORMAL, at: float = 1_000.0) -> k.CaseRecord:
    case, _ = k.open_case(
        RULES,
        "C20270115-00001",
        call_id="c1",
        person_id=None,
        caller="049-2345-6789",
        system="webhr",
        agency="moi",
        channel="voice",
        at=at,
        actor="cti-a",
        priority=priority,
    )
    return case


def test_a_new_case_is_open_at_the_first_line_and_due_in_seven_days() -> None:
    case = new()
    assert (case.status, case.tier, case.due_at) == ("open", "first-line", 1_000.0 + 7 * DAY)


def test_an_urgent_case_is_due_in_three_days() -> None:
    assert new(k.Priority.URGENT).due_at == 1_000.0 + 3 * DAY


def test_due_days_come_from_the_centre_file() -> None:
    rules = CaseRules(normal_due_days=2, urgent_due_days=0.5)
    assert k.due(rules, "normal", 0.0) == 2 * DAY
    assert k.due(rules, "urgent", 0.0) == 0.5 * DAY


def test_a_case_climbs_every_tier_with_the_tiers_owner_and_a_new_due_date_each_step() -> None:
    case = new()
    steps = [
        k.escalate(CENTRE, case, k.Tier.SECOND_LINE, 2 * DAY, "N1"),
        k.escalate(CENTRE, case, k.Tier.THIRD_LINE, 3 * DAY, "tech1", priority=k.Priority.URGENT),
        k.escalate(CENTRE, case, k.Tier.VENDOR, 4 * DAY, "owner1", note="needs a patch"),
    ]
    assert [(s.tier, s.owner, s.due_at, s.actor) for s in steps] == [
        ("second-line", "tech-support", 2 * DAY + 7 * DAY, "N1"),
        ("third-line", "webhr-owner", 3 * DAY + 3 * DAY, "tech1"),
        ("vendor", "vendor", 4 * DAY + 3 * DAY, "owner1"),
    ]
    assert case.notes == "needs a patch"


def test_escalation_never_goes_down_or_sideways_and_changes_nothing_when_refused() -> None:
    case = new()
    k.escalate(CENTRE, case, k.Tier.THIRD_LINE, 10.0, "N1")
    before = k.CaseRecord(**{f: getattr(case, f) for f in k.CASE_COLUMNS})
    for to in (k.Tier.SECOND_LINE, k.Tier.THIRD_LINE):
        with pytest.raises(k.CaseError, match="escalation goes up: vendor"):
            k.escalate(CENTRE, case, to, 20.0, "N1")
    assert case == before


def test_a_case_at_the_vendor_cannot_be_escalated_further() -> None:
    case = new()
    k.escalate(CENTRE, case, k.Tier.VENDOR, 10.0, "N1")
    with pytest.raises(k.CaseError, match="top tier"):
        k.escalate(CENTRE, case, k.Tier.VENDOR, 20.0, "N1")


def test_a_closed_case_must_be_reopened_before_anything_else_happens_to_it() -> None:
    case = new()
    k.close(case, 50.0, "N1", note="done", disposition="solved")
    assert (case.status, case.closed_at, case.disposition) == ("closed", 50.0, "solved")
    with pytest.raises(k.CaseError, match="reopen it"):
        k.close(case, 60.0, "N1", note="again")
    with pytest.raises(k.CaseError, match="reopen it"):
        k.escalate(CENTRE, case, k.Tier.SECOND_LINE, 60.0, "N1")
    step = k.reopen(RULES, case, 70.0, "S01", note="caller rang back")
    assert (step.action, step.actor, case.status, case.closed_at, case.due_at) == (
        "reopened",
        "S01",
        "open",
        None,
        70.0 + 7 * DAY,
    )


def test_reassigning_changes_the_owner_and_with_a_tier_the_due_date() -> None:
    case = new()
    step = k.reassign(RULES, case, 100.0, "S01", owner="T03", tier=None, note=None)
    assert (step.action, case.owner, case.due_at) == ("reassigned", "T03", 1_000.0 + 7 * DAY)
    k.reassign(RULES, case, 200.0, "S01", owner="net-team", tier=k.Tier.SECOND_LINE, note="network")
    assert (case.tier, case.due_at) == ("second-line", 200.0 + 7 * DAY)


def test_an_open_case_is_overdue_only_after_its_due_time_and_never_once_closed() -> None:
    case = new()
    assert not case.overdue(case.due_at)
    assert case.overdue(case.due_at + 1)
    k.close(case, 10.0, "N1", note=None)
    assert not case.overdue(case.due_at + 1)


def test_case_ids_carry_the_centre_local_date_and_a_daily_sequence() -> None:
    # 2027-01-15 23:30 UTC is already the 16th in Taipei
    assert k.case_id_for(1_800_055_800.0, "Asia/Taipei", 12) == "C20270116-00012"
