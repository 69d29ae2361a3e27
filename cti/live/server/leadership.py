"""Leadership: which server leads the centre, and under which epoch.

Every command the leading server sends (to the PBX, to agents, in agent
states) carries its **epoch**, a number that only grows: the epoch of the
database lease the server took (:mod:`cti.store.lease`), one more at every
taking. The PBX ignores
commands from an older epoch than the newest it has seen (fencing), so a
server that has lost the lead cannot ring or connect a call; agents do not
check epochs yet. The server announces itself with a retained status
message and a retained ``leader`` message, so that a component joining
later learns both at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from cti.live import messages as m
from cti.live.bus import Bus


@dataclass(slots=True)
class Leadership:
    """This server's id, role and epoch; the parts of the server read ``epoch`` when they send."""

    server_id: str
    epoch: int
    role: str = "primary"

    def announce(self, bus: Bus) -> None:
        """Publish this server's status and its lead, both retained."""
        bus.publish(
            m.server_status(self.server_id),
            m.ServerStatus(server_id=self.server_id, online=True, role=self.role, epoch=self.epoch),
            retain=True,
        )
        bus.publish(m.LEADER, m.Leader(server_id=self.server_id, epoch=self.epoch), retain=True)
