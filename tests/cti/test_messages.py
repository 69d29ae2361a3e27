"""Messages: JSON encoding, validation, and which topic each belongs on."""

from __future__ import annotations

import json

import pytest

from cti.live import messages as m

SAMPLES: list[tuple[str, m.Message]] = [
    (m.TRUNK_IN, m.Dial(call_id="c1", caller="049-2345-6789", dialled="02-2397-5000", system="webhr", agency="moi")),
    (m.TRUNK_IN, m.CallerHangUp(call_id="c1")),
    (m.trunk_ev("c1"), m.CallConnected(call_id="c1", agent_id="N1")),
    (m.trunk_ev("c1"), m.CallReleased(call_id="c1", reason="agent")),
    (m.TRUNK_IN, m.Dial(call_id="c1", caller="049-2345-6789", dialled="1999")),  # with an IVR: no attached data
    (m.TRUNK_IN, m.Dtmf(call_id="c1", digits="301#")),
    (m.trunk_ev("c1"), m.PromptPlaying(call_id="c1", prompt="main", language="zh", seconds=6.5, collect=True)),
    (m.PBX_IN, m.NewCall(call_id="c1", caller="0912345678", dialled="1999", system="webhr", agency="moi")),
    (m.pbx_ev("c1"), m.CallerHungUp(call_id="c1")),
    (m.pbx_ctl("c1"), m.Ring(call_id="c1", agent_id="N1", extension="2101", ring_until=15.5, epoch=1)),
    (m.pbx_ctl("c1"), m.StopRinging(call_id="c1", agent_id="N1", epoch=1)),
    (m.pbx_ctl("c1"), m.Connect(call_id="c1", agent_id="N1", epoch=1)),
    (m.pbx_ctl("c1"), m.Release(call_id="c1", reason="no-agent", epoch=1)),
    (m.pbx_ctl("c1"), m.Play(call_id="c1", prompt="welcome", language="en", collect=False, epoch=1)),
    (m.pbx_ctl("c1"), m.Queue(call_id="c1", epoch=1)),
    (m.pbx_ev("c1"), m.PromptDone(call_id="c1", prompt="welcome", language="en")),
    (m.pbx_ev("c1"), m.Digits(call_id="c1", digits="*")),
    (m.pbx_ctl("c1"), m.DialOut(call_id="c1", agent_id="N1", number="0912345678", dial=1, ring_s=30, epoch=1)),
    (m.pbx_ev("c1"), m.OutboundAnswered(call_id="c1")),
    (m.pbx_ev("c1"), m.OutboundFailed(call_id="c1", reason="no-answer")),
    (m.trunk_ev("c1"), m.CallbackRinging(call_id="c1", ring_s=30)),
    (m.TRUNK_IN, m.PickUp(call_id="c1")),
    (m.agent_cmd("N1"), m.Login(agent_id="N1", ready=False)),
    (m.agent_cmd("N1"), m.Logout(agent_id="N1")),
    (m.agent_cmd("N1"), m.Ready(agent_id="N1")),
    (m.agent_cmd("N1"), m.NotReady(agent_id="N1", reason="lunch")),
    (m.agent_cmd("N1"), m.Answer(agent_id="N1", call_id="c1")),
    (m.agent_cmd("N1"), m.HangUp(agent_id="N1", call_id="c1")),
    (
        m.agent_cmd("N1"),
        m.WrapUp(
            agent_id="N1", call_id="c1", disposition="how-to", notes="說明步驟", action="escalate", escalate_to="vendor"
        ),
    ),
    (m.agent_cmd("N1"), m.LinkCaller(agent_id="N1", call_id="c1", person_id="P0000001")),
    (
        m.agent_offer("N1"),
        m.Offer(
            call_id="c1",
            agent_id="N1",
            caller="0912",
            system="webhr",
            agency="moi",
            queue="webhr",
            ring_until=1.0,
            overflow=False,
            backup=True,
            epoch=1,
            case_id="C20270115-00001",
            pop=m.ScreenPop(
                caller="0912",
                profile=m.Profile(
                    person_id="P0000001",
                    name="陳怡君",
                    agency="moi",
                    title="科員",
                    office_phone="02-2397-5123",
                    mobile="0912-345-678",
                    email="p0000001@moi.gov.tw",
                    national_id="A******789",
                    synthetic=True,
                ),
                history=[
                    m.Contact(
                        call_id="c0",
                        at=0.5,
                        channel="voice",
                        system="webhr",
                        outcome="answered",
                        agent_id="N2",
                        case_id="C20270114-00003",
                        disposition="solved",
                        notes=None,
                    )
                ],
                open_cases=[
                    m.CaseBrief(
                        case_id="C20270114-00003",
                        system="webhr",
                        status="open",
                        tier="second-line",
                        owner="tech-support",
                        priority="normal",
                        created_at=0.5,
                        due_at=604800.5,
                    )
                ],
                open_cases_total=1,
                ivr={"system": "webhr"},
                case_id="C20270115-00001",
                language="en",
            ),
        ),
    ),
    (m.agent_offer("N1"), m.OfferWithdrawn(call_id="c1", agent_id="N1", reason="ring-no-answer", epoch=1)),
    (m.agent_state("N1"), m.AgentState(agent_id="N1", site="nantou", status="ready", since=3.0, rule="login")),
    (m.call_topic("c1"), m.CallEvent(call_id="c1", event="queued", at=1.0, rule="queue-entry", queue="webhr")),
    (
        m.STATS,
        m.Stats(
            at=1.0,
            offered=3,
            answered=2,
            abandoned=1,
            interrupted=0,
            answered_in_threshold=2,
            waiting=0,
            longest_wait_s=0.0,
            agents={"ready": 3},
            waiting_by_queue={},
        ),
    ),
    (m.server_status("cti-a"), m.ServerStatus(server_id="cti-a", online=True, role="primary", epoch=1)),
    (m.LEADER, m.Leader(server_id="cti-a", epoch=1)),
    (m.ERRORS, m.Error(code="x", reason="y", topic="z")),
    (m.AUDIT, m.Audit(actor="sup1", action="switch-over", target="cti-b", at=1.0)),
]


@pytest.mark.parametrize(("topic", "message"), SAMPLES, ids=[type(s[1]).__name__ for s in SAMPLES])
def test_every_message_survives_json_and_belongs_on_its_topic(topic: str, message: m.Message) -> None:
    decoded = m.decode(m.encode(message))
    assert decoded == message
    m.check_topic(topic, decoded)


def test_every_message_type_has_a_sample() -> None:
    assert {type(s[1]) for s in SAMPLES} == set(m.AnyMessage.__args__)


def test_the_encoding_names_the_type_and_the_schema_version() -> None:
    assert m.encode(m.Ready(agent_id="N1")) == b'{"type":"ready","agent_id":"N1","v":1}'


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b'{"type": "ready", "agent_id": "N 1"}', "agent_id"),
        (b'{"type": "answer", "agent_id": "N1"}', "call_id"),
        (
            b'{"type": "ring", "call_id": "c1", "agent_id": "N1", "extension": null, "ring_until": -1, "epoch": 1}',
            "ring_until",
        ),
        (b'{"type": "teleport", "agent_id": "N1"}', "teleport"),
    ],
)
def test_a_bad_message_is_refused_naming_the_field(payload: bytes, problem: str) -> None:
    with pytest.raises(m.MessageError, match=problem) as err:
        m.decode(payload)
    assert err.value.code == "invalid-message"


@pytest.mark.parametrize("digits", ["", "1" * 33, "12a", "1 2", "1\n", "１", "+1"])
def test_keys_pressed_are_1_to_32_of_the_phone_s_keys(digits: str) -> None:
    with pytest.raises(m.MessageError, match="digits") as err:
        m.decode(m.encode(m.Dtmf(call_id="c1", digits=digits)))
    assert err.value.code == "invalid-message"


@pytest.mark.parametrize(
    ("field", "value"), [("prompt", "main\n"), ("prompt", "a b"), ("language", "ZH"), ("language", "zh_TW")]
)
def test_a_prompt_is_an_id_and_a_language_a_code(field: str, value: str) -> None:
    play = {"call_id": "c1", "prompt": "main", "language": "zh", "collect": True, "epoch": 1}
    with pytest.raises(m.MessageError, match=field):
        m.decode(m.encode(m.Play(**{**play, field: value})))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["ZH", "zh_TW", "", "zh\n"])
def test_a_prompt_s_end_names_its_language_as_a_code(language: str) -> None:
    payload = {"type": "prompt-done", "call_id": "c1", "prompt": "main", "language": language}
    with pytest.raises(m.MessageError, match="language"):
        m.parse(m.pbx_ev("c1"), json.dumps(payload).encode())
    del payload["language"]
    with pytest.raises(m.MessageError, match="language"):  # and must name it
        m.parse(m.pbx_ev("c1"), json.dumps(payload).encode())


@pytest.mark.parametrize("seconds", [-1.0, 3600.5])
def test_a_prompt_plays_from_0_to_3600_seconds(seconds: float) -> None:
    playing = m.PromptPlaying(call_id="c1", prompt="main", language="zh", seconds=seconds, collect=False)
    with pytest.raises(m.MessageError, match="seconds"):
        m.decode(m.encode(playing))


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        (m.pbx_ev("c1"), m.Dtmf(call_id="c1", digits="1")),  # the caller's keys reach the PBX, not the server
        (m.TRUNK_IN, m.Digits(call_id="c1", digits="1")),
        (m.pbx_ctl("c1"), m.PromptDone(call_id="c1", prompt="main", language="zh")),
        (m.trunk_ev("c1"), m.Play(call_id="c1", prompt="main", language="zh", collect=True, epoch=1)),
        (m.pbx_ev("c1"), m.Queue(call_id="c1", epoch=1)),  # the server's command to the PBX, never from it
    ],
)
def test_the_ivr_s_messages_travel_only_on_their_topics(topic: str, message: m.Message) -> None:
    with pytest.raises(m.MessageError) as err:
        m.check_topic(topic, message)
    assert err.value.code == "wrong-topic"


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        (m.pbx_ev("c1"), m.DialOut(call_id="c1", agent_id="N1", number="0912345678", dial=1, ring_s=30, epoch=1)),
        (m.TRUNK_IN, m.OutboundAnswered(call_id="c1")),  # the PBX's word, never the caller's
        (m.pbx_ctl("c1"), m.OutboundFailed(call_id="c1", reason="no-answer")),
        (m.pbx_ev("c1"), m.PickUp(call_id="c1")),  # the caller picks up at the PBX, not at the server
        (m.TRUNK_IN, m.CallbackRinging(call_id="c1", ring_s=30)),
    ],
)
def test_the_call_back_s_messages_travel_only_on_their_topics(topic: str, message: m.Message) -> None:
    with pytest.raises(m.MessageError) as err:
        m.check_topic(topic, message)
    assert err.value.code == "wrong-topic"


@pytest.mark.parametrize(
    ("field", "value"), [("dial", 0), ("dial", 11), ("ring_s", 0.5), ("ring_s", 601), ("number", "09-12\n")]
)
def test_a_dial_out_holds_a_number_a_try_from_1_to_10_and_a_ring_time(field: str, value: object) -> None:
    doc = {"call_id": "c1", "agent_id": "N1", "number": "0912345678", "dial": 1, "ring_s": 30, "epoch": 1}
    with pytest.raises(m.MessageError, match=field):
        m.decode(m.encode(m.DialOut(**{**doc, field: value})))  # type: ignore[arg-type]


def test_an_outbound_failure_names_its_reason_as_a_code() -> None:
    payload = json.dumps({"type": "outbound-failed", "call_id": "c1", "reason": "No answer"}).encode()
    with pytest.raises(m.MessageError, match="reason"):
        m.parse(m.pbx_ev("c1"), payload)
