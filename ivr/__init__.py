"""The IVR core: voice menus, languages, agency codes and service hours as a pure state machine.

Standard library only, like :mod:`routing`. An :class:`Ivr` holds every
call of one centre that is in the voice menus and applies one event at a
time (a call arrived, a prompt finished, keys pressed, a hang-up) at a time
``now`` supplied by the caller; its own timers (digit timeout, inter-digit
timeout, prompt safety) run in :meth:`Ivr.advance`. It returns commands:
play a prompt, route to a queue, owe a call-back, release the call, and a
step for the journal. It never reads a clock or a time zone (the local time
comes in as a :class:`LocalTime`), so the live server and the simulator run
exactly the same menus. The plan comes from the centre file
(:func:`plan_from_mapping`). See docs/ivr.md.
"""

from ivr.civil import LocalTime
from ivr.commands import CallBack, Command, Outcome, Play, Release, Route, Step, StepKind
from ivr.engine import Ivr
from ivr.errors import ClockError, InvalidEvent, IvrError, UnknownCall
from ivr.events import CallArrived, CallerHungUp, DigitsPressed, Event, PromptFinished
from ivr.hours import Hours, Window
from ivr.phone import plausible_number
from ivr.plan import FLOW_PROMPTS, GENERAL_QUEUE, Announcements, IvrPlan, Language, Menu, Timeouts
from ivr.prompts import PromptText, estimate_seconds
from ivr.reading import hours_from_mapping, plan_from_mapping, prompts_from_mapping, survey_from_mapping
from ivr.survey import Answer, Survey, SurveyEnded, SurveyOffered, SurveyOutcome
from ivr.survey_plan import Question, SurveyPlan

__all__ = [
    "FLOW_PROMPTS",
    "GENERAL_QUEUE",
    "Announcements",
    "Answer",
    "CallArrived",
    "CallBack",
    "CallerHungUp",
    "ClockError",
    "Command",
    "DigitsPressed",
    "Event",
    "Hours",
    "InvalidEvent",
    "Ivr",
    "IvrError",
    "IvrPlan",
    "Language",
    "LocalTime",
    "Menu",
    "Outcome",
    "Play",
    "PromptFinished",
    "PromptText",
    "Question",
    "Release",
    "Route",
    "Step",
    "StepKind",
    "Survey",
    "SurveyEnded",
    "SurveyOffered",
    "SurveyOutcome",
    "SurveyPlan",
    "Timeouts",
    "UnknownCall",
    "Window",
    "estimate_seconds",
    "hours_from_mapping",
    "plan_from_mapping",
    "plausible_number",
    "prompts_from_mapping",
    "survey_from_mapping",
]
