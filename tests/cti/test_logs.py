"""Logs: JSON lines with centre time, ids bound, personal data masked."""

from __future__ import annotations

import io
import json

from cti.casework.privacy import mask_national_id, mask_phone
from cti.clock import ScaledClock, run
from cti.live.logs import make_logger


def test_a_log_line_is_json_with_the_call_id_bound_and_the_caller_masked() -> None:
    out = io.StringIO()
    clock = ScaledClock(1000.0)

    async def main() -> None:
        log = make_logger(clock, out).bind(call_id="c1")
        log.info("call_arrived", caller="049-2345-6789", agent_id="N1", note="caller A123456789 asked")

    run(main(), clock)
    line = json.loads(out.getvalue())
    assert line["event"] == "call_arrived"
    assert (line["call_id"], line["agent_id"]) == ("c1", "N1")
    assert line["caller"] == "***-****-*789"
    assert line["note"] == "caller A******789 asked"
    assert line["t"] >= 1000.0
    assert "6789" not in out.getvalue().replace("*789", "")


def test_masks_keep_only_the_last_three_digits() -> None:
    assert mask_phone("0912345678") == "*******678"
    assert mask_national_id("F229876543") == "F******543"
    assert mask_national_id("not an id: A12345") == "not an id: A12345"
