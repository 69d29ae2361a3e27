"""A call's language is a requirement like its system: offered only to agents who speak it.

When nobody who has the skill and speaks the language is logged in, the
no-agent rule applies as for an unstaffed system: after max_wait_no_agent_s
the general queue, keeping the language only while a voice agent who speaks
it is logged in. A language the centre does not list: the general queue at
once, for any agent.
"""

from routing import (
    GENERAL_QUEUE,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    CallAnswered,
    CallArrived,
    CallHungUp,
    EndCall,
    Party,
    QueueCall,
    Rule,
    Strategy,
)
from routing.testing import Harness, agency, agent, centre

LANGS = ("zh", "en", "nan")


def zh_and_en(**rules: float | str) -> Harness:
    """N01 speaks Mandarin only and is idle longest; N02 also speaks English."""
    c = centre(
        [agent("N01", languages=["zh"]), agent("N02", languages=["zh", "en"])],
        languages=LANGS,
        max_wait_no_agent_s=60,
        wrap_up_s=0,
        **rules,
    )
    h = Harness(c)
    h.login("N01", now=0)
    h.login("N02", now=1)
    return h


def test_a_call_is_offered_only_to_an_agent_who_speaks_its_language() -> None:
    """An English call skips the agent idle longest, who speaks only Mandarin."""
    h = zh_and_en()
    h.at(2, CallArrived("c1", "webhr", None, "en"))
    assert h.offers() == [("c1", "N02")]


def test_a_call_with_no_language_goes_to_any_agent() -> None:
    """language=None is no requirement: the agent idle longest takes it."""
    h = zh_and_en()
    h.at(2, CallArrived("c1", "webhr"))
    assert h.offers() == [("c1", "N01")]


def test_a_call_waits_for_a_busy_speaker_rather_than_go_to_an_idle_non_speaker() -> None:
    """While a speaker is logged in the call keeps its language: it waits for them, as for a skilled agent."""
    h = zh_and_en()
    h.at(2, CallArrived("c0", "webhr", None, "en"), CallAnswered("c0", "N02"))
    h.at(3, CallArrived("c1", "webhr", None, "en"))
    h.at(500)
    assert h.offers() == [("c0", "N02")]
    assert h.status("N01") == "ready"
    assert h.router.calls["c1"].queue == "webhr"
    h.at(501, CallHungUp("c0"))
    assert h.offers() == [("c0", "N02"), ("c1", "N02")]


def test_a_freed_agent_does_not_take_a_call_in_a_language_it_does_not_speak() -> None:
    """A Mandarin-only agent back from a call leaves the English call waiting, and takes the next Mandarin one."""
    h = zh_and_en()
    h.at(2, CallArrived("a", "webhr"), CallArrived("b", "webhr"))  # N01 and N02 ring
    h.at(3, CallAnswered("a", "N01"), CallAnswered("b", "N02"))
    h.at(4, CallArrived("e1", "webhr", None, "en"), CallArrived("z1", "webhr", None, "zh"))
    h.at(5, CallHungUp("a"))  # N01 is free: e1 came first, but N01 speaks no English
    assert h.offers()[-1] == ("z1", "N01")
    assert h.router.calls["e1"].status == "queued"


def test_with_no_speaker_logged_in_any_agent_takes_the_call_after_the_no_agent_wait() -> None:
    """Nobody who speaks Taiwanese is logged in: after max_wait_no_agent_s, the general queue, any agent."""
    h = zh_and_en()
    h.at(2, CallArrived("c1", "webhr", None, "nan"))
    h.at(61.9)
    assert h.offers() == []
    out = h.at(62)
    assert QueueCall("c1", GENERAL_QUEUE, Rule.NO_AGENT_FALLBACK) in out
    assert h.offers() == [("c1", "N01")]
    call = h.router.calls["c1"]
    assert (call.language, call.need, call.entered_at) == ("nan", None, 2)


def test_the_no_agent_wait_starts_when_the_last_speaker_logs_out() -> None:
    """Calls waiting for English move max_wait_no_agent_s after the last English speaker leaves."""
    h = zh_and_en()
    h.at(2, CallArrived("c0", "webhr"), CallArrived("c1", "webhr", None, "en"))  # N01 rings with c0, N02 with c1
    h.at(3, CallArrived("c2", "webhr", None, "en"))
    h.at(10, AgentLoggedOut("N02"))  # c1 back in the queue: both English calls now wait for nobody
    h.at(69.9)
    assert h.router.calls["c2"].queue == "webhr"
    h.at(70)
    assert h.router.calls["c2"].queue == GENERAL_QUEUE


def test_the_general_queue_keeps_the_language_while_a_speaker_is_logged_in() -> None:
    """No English speaker has the skill: after the wait the call goes to an English speaker without it."""
    c = centre(
        [agent("N01", skills={"ecpa": 5}, languages=["zh"]), agent("N02", skills={"webhr": 3}, languages=["zh", "en"])],
        languages=LANGS,
        max_wait_no_agent_s=60,
    )
    h = Harness(c)
    h.login("N01", now=0)  # has the skill, but speaks no English
    h.login("N02", now=1)
    h.at(2, CallArrived("c0", "webhr"), CallAnswered("c0", "N02"))  # N02 busy
    h.at(3, CallArrived("c1", "ecpa", None, "en"))
    out = h.at(63)
    assert QueueCall("c1", GENERAL_QUEUE, Rule.NO_AGENT_FALLBACK) in out
    assert h.router.calls["c1"].need == "en"
    assert h.status("N01") == "ready"  # ready, yet not offered c1
    h.at(64, CallHungUp("c0", Party.AGENT))
    h.at(94)  # N02's wrap-up is over
    assert h.offers() == [("c0", "N02"), ("c1", "N02")]


def test_in_the_general_queue_the_language_is_dropped_when_no_speaker_is_logged_in() -> None:
    """A call for an unknown system keeps its language in the general queue, until nobody speaks it for the wait."""
    c = centre([agent("N01", languages=["zh"]), agent("N02", languages=["zh", "en"])], languages=LANGS)
    h = Harness(c)
    h.login("N01", "N02")
    h.at(1, AgentLoggedOut("N02"))  # nobody speaks English from now
    out = h.at(3, CallArrived("c1", "nosuch", None, "en"))
    assert out == [QueueCall("c1", GENERAL_QUEUE, Rule.UNKNOWN_SYSTEM)]
    assert h.router.calls["c1"].need == "en"
    h.at(62.9)
    assert h.offers() == []
    out = h.at(63)
    assert QueueCall("c1", GENERAL_QUEUE, Rule.NO_AGENT_FALLBACK) in out
    assert h.offers() == [("c1", "N01")]


def test_with_no_voice_agent_at_all_a_call_in_a_language_is_given_up_after_each_step() -> None:
    """System queue, then the general queue without the language, then given up: one wait each."""
    h = Harness(centre([agent("N01", languages=["zh"])], languages=LANGS, max_wait_no_agent_s=60))
    h.at(0, CallArrived("c1", "webhr", None, "en"))
    h.at(60)
    assert (h.router.calls["c1"].queue, h.router.calls["c1"].need) == (GENERAL_QUEUE, None)
    assert h.at(120) == [EndCall("c1", Rule.NO_AGENT_GIVE_UP)]


def test_an_unknown_language_goes_to_the_general_queue_at_once_for_any_agent() -> None:
    """A language the centre does not list: rule unknown-language, the general queue, no language required."""
    h = zh_and_en()
    out = h.at(2, CallArrived("c1", "webhr", None, "fr"))
    assert out[0] == QueueCall("c1", GENERAL_QUEUE, Rule.UNKNOWN_LANGUAGE)
    assert h.offers() == [("c1", "N01")]
    assert h.router.calls["c1"].language == "fr"
    assert h.router.unknown("webhr", None, "fr") == ("language",)
    assert h.router.unknown("webhr", None, "en") == ()
    assert h.router.unknown("nosuch", "zz", "fr") == ("system", "agency", "language")


def test_an_unknown_system_names_its_rule_before_an_unknown_language() -> None:
    """Several unknowns: the first of system, agency, language names the rule."""
    h = zh_and_en()
    out = h.at(2, CallArrived("c1", "nosuch", None, "fr"))
    assert out[0] == QueueCall("c1", GENERAL_QUEUE, Rule.UNKNOWN_SYSTEM)


def test_a_language_every_voice_agent_speaks_restricts_nobody() -> None:
    """A Mandarin call in a centre where every voice agent speaks Mandarin: no requirement to track."""
    h = zh_and_en()
    h.at(2, CallArrived("c1", "webhr", None, "zh"))
    assert h.offers() == [("c1", "N01")]
    call = h.router.calls["c1"]
    assert (call.language, call.need) == ("zh", None)


def test_the_site_window_is_skipped_when_the_preferred_site_has_no_speaker() -> None:
    """Taipei is preferred and has a skilled agent, but nobody there speaks English: Nantou takes it at once."""
    c = centre(
        [agent("N01", "nantou", languages=["zh", "en"]), agent("T01", "taipei", languages=["zh"])],
        agencies=[agency("tpe", prefer_site="taipei")],
        languages=LANGS,
        overflow_after_s=30,
    )
    h = Harness(c)
    h.login("N01", "T01")
    h.at(1, CallArrived("c1", "webhr", "tpe", "en"))
    assert h.offers() == [("c1", "N01")]


def test_a_mandarin_call_still_waits_in_the_window_of_a_site_with_a_mandarin_speaker() -> None:
    """The same agency's Mandarin call waits for busy Taipei: the window counts by language."""
    c = centre(
        [agent("N01", "nantou", languages=["zh", "en"]), agent("T01", "taipei", languages=["zh"])],
        agencies=[agency("tpe", prefer_site="taipei")],
        languages=LANGS,
        overflow_after_s=30,
    )
    h = Harness(c)
    h.login("N01", "T01")
    h.at(1, CallArrived("c0", "webhr", "tpe"), CallAnswered("c0", "T01"))
    h.at(2, CallArrived("c1", "webhr", "tpe", "zh"))
    h.at(31.9)
    assert h.offers() == [("c0", "T01")]
    h.at(32)
    assert h.offers() == [("c0", "T01"), ("c1", "N01")]


def test_the_window_opens_when_the_preferred_sites_last_speaker_logs_out() -> None:
    """An English call waiting for Taipei's only English speaker goes to Nantou when that speaker leaves."""
    c = centre(
        [
            agent("N01", "nantou", languages=["zh", "en"]),
            agent("T01", "taipei", languages=["zh", "en"]),
            agent("T02", "taipei", languages=["zh"]),
        ],
        agencies=[agency("tpe", prefer_site="taipei")],
        languages=LANGS,
        overflow_after_s=30,
    )
    h = Harness(c)
    h.login("N01", "T01", "T02")
    h.at(1, AgentNotReady("T01", "lunch"))
    h.at(2, CallArrived("c1", "webhr", "tpe", "en"))
    assert h.offers() == []  # waits for Taipei's English speaker, on a break
    h.at(5, AgentLoggedOut("T01"))  # T02 is still in Taipei, but speaks no English
    assert h.offers() == [("c1", "N01")]


def test_a_backup_seat_counts_only_the_calls_it_could_take() -> None:
    """English calls do not bring in a Mandarin-only backup seat; Mandarin ones do."""
    c = centre(
        [
            agent("T01", "taipei", languages=["zh", "en"]),
            agent("T06", "taipei", backup=True, languages=["zh"]),
        ],
        languages=LANGS,
        backup_seat_when_waiting=2,
    )
    h = Harness(c)
    h.login("T01", "T06")
    h.at(1, CallArrived("c0", "webhr"), CallAnswered("c0", "T01"))  # T01 busy
    h.at(2, CallArrived("e1", "webhr", None, "en"), CallArrived("e2", "webhr", None, "en"))
    h.at(3, CallArrived("z1", "webhr", None, "zh"))
    assert h.router.waiting_for("T06") == 1
    assert h.offers() == [("c0", "T01")]
    h.at(4, CallArrived("z2", "webhr"))
    assert h.offers() == [("c0", "T01"), ("z1", "T06")]


def test_best_skill_ranks_only_the_speakers() -> None:
    """best-skill: the expert who speaks no English is passed over for the English speaker."""
    c = centre(
        [
            agent("N01", skills={"webhr": 5}, languages=["zh"]),
            agent("N02", skills={"webhr": 1}, languages=["zh", "en"]),
        ],
        languages=LANGS,
        strategy=Strategy.BEST_SKILL,
    )
    h = Harness(c)
    h.login("N01", "N02")
    h.at(1, CallArrived("c1", "webhr", None, "en"), CallArrived("c2", "webhr", None, "zh"))
    assert h.offers() == [("c1", "N02"), ("c2", "N01")]


def test_round_robin_goes_round_the_speakers() -> None:
    """round-robin: English calls go round the English speakers in file order, skipping the others."""
    c = centre(
        [
            agent("N01", languages=["zh", "en"]),
            agent("N02", languages=["zh"]),
            agent("N03", languages=["zh", "en"]),
        ],
        languages=LANGS,
        strategy=Strategy.ROUND_ROBIN,
        wrap_up_s=0,
    )
    h = Harness(c)
    h.login("N01", "N02", "N03")
    for i in range(3):
        h.at(2 * i + 1, CallArrived(f"c{i}", "webhr", None, "en"))
        agent_id = h.offers()[-1][1]
        h.at(2 * i + 2, CallAnswered(f"c{i}", agent_id), CallHungUp(f"c{i}", Party.AGENT))
    assert [a for _, a in h.offers()] == ["N01", "N03", "N01"]


def test_an_agent_takes_the_earliest_call_across_its_languages() -> None:
    """A freed bilingual agent takes the earliest call it may take, whatever the language."""
    h = zh_and_en()
    h.at(2, CallArrived("a", "webhr"), CallArrived("b", "webhr"))  # N01 and N02 ring
    h.at(3, CallAnswered("a", "N01"), CallAnswered("b", "N02"))
    h.at(4, CallArrived("z1", "webhr", None, "zh"))
    h.at(5, CallArrived("e1", "webhr", None, "en"))
    h.at(6, CallHungUp("b"))  # N02 is free first: z1 came first
    assert h.offers()[-1] == ("z1", "N02")


def test_a_login_of_a_speaker_stops_the_no_agent_wait() -> None:
    """An English speaker logging in before the wait ends takes the call from its system's queue."""
    c = centre(
        [agent("N01", languages=["zh"]), agent("N02", languages=["zh", "en"])],
        languages=LANGS,
        max_wait_no_agent_s=60,
    )
    h = Harness(c)
    h.login("N01")
    h.at(1, CallArrived("c1", "webhr", None, "en"))
    h.at(30, AgentLoggedIn("N02"))
    assert h.offers() == [("c1", "N02")]
    h.at(200)
    assert h.router.calls["c1"].queue == "webhr"
