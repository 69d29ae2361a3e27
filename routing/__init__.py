"""The routing core: which agent rings next, and why.

Pure policy, standard library only. A :class:`Router` holds the live state of
one centre (queues by system, ready agents by skill and site, ringing offers,
timers) and applies one event at a time at a time ``now`` supplied by the
caller, returning the commands to carry out, each with the :class:`Rule`
behind it. It never awaits, sleeps, logs, touches disk or network, or reads
a clock or the global random generator, so the live server and the SimPy
simulator run exactly the same decisions.
"""

from routing.agent import AgentState, AgentStatus
from routing.call import CallState, CallStatus
from routing.centre import (
    GENERAL_QUEUE,
    Agency,
    AgencyGroup,
    AgentProfile,
    CaseRules,
    Centre,
    CentreInfo,
    Channel,
    Language,
    Role,
    RoutingRules,
    Site,
    StaffMember,
    Strategy,
    System,
    centre_from_mapping,
)
from routing.commands import (
    CancelOffer,
    Command,
    ConnectCall,
    DialCallback,
    EndCall,
    OfferCall,
    QueueCall,
    RetryCallback,
    Rule,
    SetAgentState,
)
from routing.errors import CentreError, ClockError, InvalidTransition, RoutingError, UnknownEntity
from routing.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallAnswered,
    CallArrived,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    CallHungUp,
    Event,
    Party,
)
from routing.router import Router

__all__ = [
    "GENERAL_QUEUE",
    "Agency",
    "AgencyGroup",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentNotReady",
    "AgentProfile",
    "AgentReady",
    "AgentState",
    "AgentStatus",
    "CallAnswered",
    "CallArrived",
    "CallHungUp",
    "CallState",
    "CallStatus",
    "CallbackAnswered",
    "CallbackFailed",
    "CallbackRequested",
    "CancelOffer",
    "CaseRules",
    "Centre",
    "CentreError",
    "CentreInfo",
    "Channel",
    "ClockError",
    "Command",
    "ConnectCall",
    "DialCallback",
    "EndCall",
    "Event",
    "InvalidTransition",
    "Language",
    "OfferCall",
    "Party",
    "QueueCall",
    "RetryCallback",
    "Role",
    "Router",
    "RoutingError",
    "RoutingRules",
    "Rule",
    "SetAgentState",
    "Site",
    "StaffMember",
    "Strategy",
    "System",
    "UnknownEntity",
    "centre_from_mapping",
]
