"""The ``cti`` command line's grammar: every command, option and help text.

Handlers are named here, not imported: each command's module (one per
command group, in this package) is imported only when that command runs, so
``cti --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cti.casework.cases import CaseStatus, Tier
from cti.cli.arguments import (
    MAX_AGENTS,
    MAX_BUSY_HOUR_CALLS,
    MAX_CALLS,
    MAX_DEMO_MINUTES,
    MAX_LIST,
    MAX_SECONDS,
    MAX_WORKERS,
    at_most,
    count,
    non_negative,
    positive,
    seed,
    share,
    speed,
)

#: Bounded number types, named for what they hold.
seconds = at_most(positive, float(MAX_SECONDS), " s")
threshold = at_most(non_negative, float(MAX_SECONDS), " s")
agents = at_most(count, MAX_AGENTS)
calls_offered = at_most(non_negative, float(MAX_CALLS))
listed = at_most(count, MAX_LIST)
demo_minutes = at_most(positive, float(MAX_DEMO_MINUTES))
busy_hour_calls = at_most(non_negative, float(MAX_BUSY_HOUR_CALLS))

_CONFIG_HELP = """\
The centre file (TOML) describes a whole centre: sites and seats, agents and
their skills (system -> level 1-5), systems, agencies and the routing rules.
Every key is documented in docs/centre-file.md.

  cti config default > centre.toml    write the shipped DGPA centre to edit
  cti config check centre.toml        validate it and print a summary
  cti config default | cti config check -
"""


def _version() -> str:
    try:
        return version("dgpa-cti")
    except PackageNotFoundError:  # running from a source tree without installing
        return "unknown"


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; an unknown flag is reported with the usage of the command it was given to."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _innermost(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _innermost(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)command parser the command line chose: ``cti demo --frob`` shows the usage of ``cti demo``."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = getattr(args, subs[0].dest, None) if subs else None
        if chosen is None or chosen not in subs[0].choices:
            return parser
        parser = subs[0].choices[chosen]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cti",
        description="Contact-centre call routing and telephony simulator for the DGPA personnel-IT hotline.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    config = commands.add_parser(
        "config",
        help="print or validate a centre file",
        description=_CONFIG_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config_cmds = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    default = config_cmds.add_parser(
        "default",
        help="write the shipped default centre file (plain TOML) to standard output",
        description="Write the shipped default centre file, the DGPA hotline, to standard output as plain TOML.",
    )
    default.set_defaults(run=Handler("config", "default_command"))
    check = config_cmds.add_parser(
        "check",
        help="validate a centre file and summarise it",
        description=(
            "Validate a centre file. On success print a summary (sites, seats, systems, agencies, skills "
            "matrix) and any warnings, and exit 0. On the first problem print one line naming the file, line, "
            "field, the bad value and what was expected, and exit 1."
        ),
    )
    check.add_argument("file", metavar="FILE", help="the centre file to check ('-' reads standard input)")
    json_option(check, "the summary")
    check.add_argument("-q", "--quiet", action="store_true", help="print nothing on success but warnings")
    check.set_defaults(run=Handler("config", "check_command"))

    demo = commands.add_parser(
        "demo",
        help="run the whole centre in one process: server, PBX, agent bots, callers",
        description=_DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--minutes",
        type=demo_minutes,
        default=60.0,
        help="centre minutes of calls (default 60)",
    )
    demo.add_argument(
        "--speed",
        type=speed,
        default=None,
        help="times real time, or 'max' for virtual time (default: the run takes about a minute)",
    )
    demo.add_argument("--seed", type=seed, default=1, help="fixes traffic and bot behaviour (default 1)")
    demo.add_argument(
        "--db",
        type=Path,
        help="SQLite database to use, not held by another server (default: a new one in a temporary directory)",
    )
    demo.add_argument("--config", metavar="FILE", help="centre file (default: the shipped DGPA centre)")
    demo.add_argument("--start", type=str, default="10:00", help="centre time to start at: HH:MM today, or ISO-8601")
    demo.add_argument(
        "--busy-hour-calls",
        type=busy_hour_calls,
        default=None,
        help="calls in the busiest hour (default 100)",
    )
    json_option(demo, "the figures")
    demo.add_argument("--log", metavar="PATH", type=Path, help="JSON-lines log (default: beside the database)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no tables")
    demo.set_defaults(run=Handler("demo", "demo_command"))

    export = commands.add_parser("export", help="write data from a database as CSV")
    export_cmds = export.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    calls = export_cmds.add_parser(
        "calls",
        help="one row per call",
        description=(
            "Write one CSV row per call to standard output (UTF-8, header row): ids, ISO-8601 times in the "
            "centre's time zone, outcome (answered, abandoned, no-agent, interrupted, rejected, ivr-abandoned, "
            "after-hours, in-progress), "
            "and unrounded wait_s, talk_s and wrap_up_s. Caller numbers are masked."
        ),
    )
    calls.add_argument("--db", type=Path, required=True, help="the database a run wrote")
    calls.add_argument("--run", dest="run_id", type=count, metavar="N", help="only this run (default: every run)")
    raw_csv_option(calls)
    _unmasking(calls)
    calls.set_defaults(run=Handler("export", "export_calls_command"))
    export_cases = export_cmds.add_parser(
        "cases",
        help="one row per case",
        description=(
            "Write one CSV row per case to standard output (UTF-8, header row): ids, the caller's number "
            "(caller_number, masked), person, system, agency, status, tier, owner, priority, ISO-8601 created/due/"
            "closed times in the centre's time zone, overdue (1/0 as of --at), disposition and notes."
        ),
    )
    export_cases.add_argument("--db", type=Path, required=True, help="the database a run wrote")
    export_cases.add_argument("--at", help="judge 'overdue' at this time (HH:MM today or ISO-8601; default now)")
    raw_csv_option(export_cases)
    _unmasking(export_cases)
    export_cases.set_defaults(run=Handler("export", "export_cases_command"))

    _add_erlang(commands)
    _add_simulator(commands)
    _add_directory(commands)
    _add_cases(commands)
    _add_calls(commands)
    _add_roles(commands)
    audit = commands.add_parser(
        "audit",
        help="the audit trail: who saw unmasked personal data, who changed the staff",
        description="List the audit trail of a database: every --unmasked view or export and every change to the "
        "staff table, with who (as declared with --by), their role, the operating-system account that ran the "
        "command, when (centre time zone) and what.",
    )
    _db(audit)
    json_option(audit, "the trail")
    audit.set_defaults(run=Handler("audit", "audit_command"))
    return parser


@dataclass(frozen=True)
class Handler:
    """A command's handler: ``name`` in the module ``cti.cli.<module>``, imported when the command runs."""

    module: str
    name: str

    def resolve(self) -> Callable[[argparse.Namespace], int]:
        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f"cti.cli.{self.module}"), self.name
        )
        return handler

    def __call__(self, args: argparse.Namespace) -> int:
        return self.resolve()(args)


def json_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json [PATH]``, the same in every command: alone or ``-`` standard output (instead of tables)."""
    _output_option(parser, "--json", f"write {what} as JSON")


def csv_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--csv [PATH]``, the same in every command: alone or ``-`` standard output (instead of tables)."""
    _output_option(parser, "--csv", f"write {what} as CSV")
    raw_csv_option(parser)


def raw_csv_option(parser: argparse.ArgumentParser) -> None:
    """``--raw-csv``: CSV cells as stored, formula characters and all."""
    parser.add_argument(
        "--raw-csv",
        action="store_true",
        help="write CSV cells exactly as stored: a cell starting with = + - @, a tab or a carriage return is "
        "no longer prefixed with ' (by default it is, so that a spreadsheet never runs it as a formula); "
        "only for files no spreadsheet opens",
    )


def _output_option(parser: argparse.ArgumentParser, flag: str, does: str) -> None:
    parser.add_argument(
        flag,
        nargs="?",
        const=Path("-"),
        type=Path,
        metavar="PATH",
        help=f"{does} to PATH; alone or '-': to standard output, instead of tables",
    )


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, required=True, help="the centre's database (as written by cti demo)")
    parser.add_argument("--config", metavar="FILE", help="centre file (default: the shipped DGPA centre)")


def _unmasking(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--unmasked",
        action="store_true",
        help="show phone numbers and national IDs in clear: supervisors only, and audited",
    )
    parser.add_argument(
        "--by",
        metavar="STAFF_ID",
        help="who is asking (default $CTI_USER): a supervisor in the database's staff table (cti roles list)",
    )
    if not any(a.dest == "config" for a in parser._actions):
        parser.add_argument("--config", metavar="FILE", help="centre file (default: the shipped DGPA centre)")


_ROLES_HELP = """\
Who is a supervisor, QA or operator comes from the database's own staff
table, never from a --config passed to a read command: `--unmasked --by ID`
needs ID to be a supervisor there. The first `cti demo` on a database fills
an empty table from its centre file; `import` makes the table match a centre
file's [[staff]] (members not in the file are removed). Every import is
audited with --by and the operating-system account. The first import into an
empty table must be made by a supervisor the file lists; after that, only by
a supervisor already in the table.

  cti roles list --db demo.db
  cti roles import --db demo.db --config centre.toml --by S01
"""

_ERLANG_HELP = """\
The analytic answer for one interval. Erlang C assumes callers wait for ever;
with --patience (the mean of exponential patience) it is Erlang A, where
waiting callers give up. Service level = answered within --threshold seconds
÷ offered; ASA = mean wait of answered calls, zero waits included.

  cti erlang --calls 100 --interval 1800 --aht 180 --agents 13
  cti erlang --calls 100 --interval 1800 --aht 180 --target-sl 0.8
  cti erlang --calls 100 --interval 1800 --aht 180 --agents 11 --patience 120 --json

Erlang C with no more agents than the offered load prints "unstable"
("stable": false in the JSON) instead of figures.
"""

_DIRECTORY_HELP = """\
The caller directory: civil servants (name, agency, title, office phone,
mobile, e-mail, national ID) looked up by the number they call from, for the
agent's screen pop. `cti demo` fills an empty database with synthetic people
(flagged as synthetic); `import` loads a real list.

  cti directory show 049-2345-678 --db demo.db
  cti directory import people.csv --db demo.db
  cti directory generate --db demo.db --per-agency 50 --seed 2
"""

_CASES_HELP = """\
Every call creates a case when it enters the queue. The answering agent's
wrap-up closes it or escalates it (second-line, third-line, vendor); a caller
who hung up leaves it in call-back. Cases are due 7 days (urgent: 3) after
they are created or escalated ([cases] in the centre file); past that they
are overdue and chased. While its call is in progress or in wrap-up a case
belongs to the server, and these commands refuse to change it.

  cti cases list --db demo.db --overdue --at 2026-12-01
  cti cases chase --db demo.db --at 2026-12-01
  cti cases show C20261122-00012 --db demo.db
  cti cases escalate C20261122-00012 --to third-line --note "data fix needed" --db demo.db
  cti cases close C20261122-00012 --note "fixed by the owner" --db demo.db
"""


def _add_roles(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roles = commands.add_parser(
        "roles",
        help="the staff table: who may see unmasked data; list, import from a centre file",
        description=_ROLES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = roles.add_subparsers(dest="roles_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="the staff table: id, name, role, when added, from which centre file",
        description="List the database's staff table by id, with when each member was added (centre time zone) "
        "and the centre file they came from.",
    )
    _db(listing)
    json_option(listing, "the staff")
    listing.set_defaults(run=Handler("roles", "list_command"))
    imp = actions.add_parser(
        "import",
        help="make the staff table match a centre file's [[staff]] (audited)",
        description="Make the database's staff table hold exactly the [[staff]] of the centre file (--config, "
        "default the shipped centre): members added, renamed or given another role, and removed when the file "
        "no longer lists them. The first import into an empty table must be made by a supervisor the file "
        "lists; later ones by a supervisor already in the table. A file with no supervisor is refused. "
        "Each change is written to the audit trail with --by and the operating-system account.",
    )
    _db(imp)
    imp.add_argument("--by", metavar="STAFF_ID", help="who imports (default $CTI_USER): a supervisor (see above)")
    imp.set_defaults(run=Handler("roles", "import_command"))


def _add_erlang(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    erlang = commands.add_parser(
        "erlang",
        help="analytic figures for one interval: Erlang C, or Erlang A with --patience",
        description=_ERLANG_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    erlang.add_argument("--calls", type=calls_offered, required=True, help="calls offered in the interval")
    erlang.add_argument("--interval", type=seconds, default=1800.0, help="interval length, s (default 1800)")
    erlang.add_argument("--aht", type=seconds, required=True, help="average handle time, s")
    staffing = erlang.add_mutually_exclusive_group(required=True)
    staffing.add_argument("--agents", type=agents, help="agents on duty")
    staffing.add_argument("--target-sl", type=share, help="instead: the fewest agents reaching this service level")
    erlang.add_argument(
        "--threshold",
        type=threshold,
        default=20.0,
        help="service-level threshold, s (default 20)",
    )
    erlang.add_argument("--patience", type=seconds, help="mean caller patience, s (exponential): Erlang A")
    json_option(erlang, "the figures")
    erlang.set_defaults(run=Handler("erlang", "erlang_command"))


_SIMULATE_HELP = """\
Capacity simulation: simulated callers and agents around the real router, day
after day, replication after replication. The centre file (--config) says who
answers and how calls are routed; the scenario file says when callers ring,
about what, how long they talk and wait, and who is on duty (`cti scenario
example` prints a commented one; without a file that example is run).

  cti simulate scenario.toml --plot day.png --json day.json --csv day.csv
  cti simulate scenario.toml --set arrivals.webhr*=1.5 --remove-agent T03
  cti simulate --compare today.toml new-system.toml --plot compare.png
  cti simulate --single-queue --calls 100 --interval 1800 --aht 180 --agents 13
  cti simulate --replay --db demo.db --date 2026-11-22 --remove-agent T03

Figures use the live centre's definitions: wait runs from queue entry to
answer, ringing included; service level = answered within the threshold ÷
offered; ASA = mean wait of answered calls. Every figure is a mean over
replications with its 95% confidence interval.

--compare runs B with A's seed and replications (common random numbers) and
prints B − A per figure with a paired 95% interval; "significant" means the
interval excludes zero. --single-queue takes cti erlang's flags and prints the
simulated figures beside the analytic ones. --replay re-runs one day of real
calls from a live centre's database under the changed configuration.
"""

_STAFF_HELP = """\
The fewest agents per site, interval by interval, that meet the scenario's
targets (target_service_level and/or target_answer_rate). The search starts
from Erlang A per system and then adds or removes agents, made from the
scenario's [templates.SITE], simulating each candidate with the same callers
(common random numbers). The scenario's shifts are replaced by the plan.

  cti staff scenario.toml --plot coverage.png --json plan.json
"""


def _add_simulator(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenario = commands.add_parser("scenario", help="print the example scenario, or check a scenario file")
    scenario_cmds = scenario.add_subparsers(dest="scenario_command", metavar="ACTION", required=True)
    scenario_cmds.add_parser(
        "example",
        help="print the commented example scenario (TOML)",
        description="Print the commented example scenario to standard output: cti scenario example > scenario.toml",
    ).set_defaults(run=Handler("scenario", "scenario_command"))
    check = scenario_cmds.add_parser("check", help="validate a scenario file against a centre file")
    check.add_argument("file", metavar="FILE", help="the scenario file")
    check.add_argument("--config", metavar="FILE", help="centre file (default: the shipped DGPA centre)")
    check.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a field (repeatable)")
    check.set_defaults(run=Handler("scenario", "scenario_command"))

    sim = commands.add_parser(
        "simulate",
        help="capacity simulation: answer rates per interval, what-if, compare, replay, one queue",
        description=_SIMULATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario file (two with --compare)")
    mode = sim.add_mutually_exclusive_group()
    mode.add_argument("--compare", action="store_true", help="compare two scenarios with paired replications")
    mode.add_argument("--single-queue", action="store_true", help="simulate one M/M/n(+M) queue (cti erlang's flags)")
    mode.add_argument("--replay", action="store_true", help="re-run a real day from --db under the changed setup")
    _what_if(sim)
    sim.add_argument("--replications", type=count, help="replications (default: the scenario's)")
    sim.add_argument("--seed", type=seed, help="seed (default: the scenario's)")
    sim.add_argument("--days", type=count, help="days per replication (default: the scenario's)")
    sim.add_argument("--workers", type=at_most(count, MAX_WORKERS), help="processes to use (default: one per core)")
    _outputs(sim, "the figures", "a PNG chart")
    one = sim.add_argument_group("--single-queue (as cti erlang)")
    one.add_argument("--calls", type=calls_offered, help="calls offered per interval")
    one.add_argument("--interval", type=seconds, help="interval length, s (default 1800)")
    one.add_argument("--aht", type=seconds, help="mean handle time, s (exponential)")
    one.add_argument("--agents", type=agents, help="agents on duty")
    one.add_argument("--threshold", type=threshold, help="service-level threshold, s (default 20)")
    one.add_argument("--patience", type=seconds, help="mean caller patience, s (exponential): Erlang A")
    one.add_argument(
        "--hours",
        type=at_most(positive, 24.0),
        help="hours of arrivals per replication, at most 24 (default 24; replications default 20)",
    )
    replay = sim.add_argument_group("--replay")
    replay.add_argument("--db", type=Path, help="the live centre's database")
    replay.add_argument("--date", help="the day to replay, YYYY-MM-DD in the centre's time zone")
    sim.set_defaults(run=Handler("simulate", "simulate_command"))

    staff = commands.add_parser(
        "staff",
        help="the fewest agents per site and interval meeting the targets",
        description=_STAFF_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    staff.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: the example)")
    _what_if(staff, add_agent=False)  # the search adds agents itself
    staff.add_argument("--replications", type=count, help="replications per candidate (default: the scenario's)")
    staff.add_argument("--seed", type=seed, help="seed (default: the scenario's)")
    staff.add_argument("--workers", type=at_most(count, MAX_WORKERS), help="processes to use (default: one per core)")
    staff.add_argument("--max-per-site", type=agents, default=60, help="never put more agents at a site (default 60)")
    _outputs(staff, "the plan", "the shift-coverage chart (PNG)")
    staff.set_defaults(run=Handler("staff", "staff_command"))


def _outputs(parser: argparse.ArgumentParser, what: str, chart: str) -> None:
    """--json, --csv, --plot and --quiet, as every capacity command has them."""
    json_option(parser, what)
    csv_option(parser, what)
    parser.add_argument("--plot", metavar="PATH", type=Path, help=f"write {chart}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no tables")


def _what_if(parser: argparse.ArgumentParser, *, add_agent: bool = True) -> None:
    parser.add_argument("--config", metavar="FILE", help="centre file (default: the shipped DGPA centre)")
    parser.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a scenario field: PATH=VALUE, PATH*=FACTOR, PATH+=AMOUNT (e.g. arrivals.webhr*=1.5); repeatable",
    )
    parser.add_argument("--remove-agent", action="append", metavar="AGENT", help="take an agent out (repeatable)")
    if add_agent:
        parser.add_argument(
            "--add-agent",
            action="append",
            metavar="SITE",
            help="one more agent at SITE, from its template, all day (repeatable)",
        )
    parser.add_argument("--strategy", help="another routing strategy, e.g. best-skill")


def _add_directory(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    directory = commands.add_parser(
        "directory",
        help="the caller directory: show, import, generate",
        description=_DIRECTORY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = directory.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="who a number belongs to, their recent contacts and open cases",
        description="Look a number up as the screen pop does: the directory entry (or 'unknown caller'), the "
        "last contacts and the open cases. Phone numbers and national IDs are masked unless --unmasked.",
    )
    show.add_argument("phone", metavar="PHONE", help="the caller's number, in any usual format")
    _db(show)
    show.add_argument("--last", type=listed, default=5, metavar="N", help="how many contacts to show (default 5)")
    json_option(show, "it")
    _unmasking(show)
    show.set_defaults(run=Handler("directory", "show_command"))
    imp = actions.add_parser(
        "import",
        help="add people from a CSV file",
        description="Add people from a UTF-8 CSV file with the header name, agency, title, office_phone, mobile, "
        "email, national_id (and optionally person_id). The whole file is checked first: the first problem is "
        "reported with its line and column, and nothing is added. Beside a running server the people go in in short "
        "transactions, so the server goes on committing; if one fails, what was added is removed again.",
    )
    imp.add_argument("file", metavar="FILE.csv", type=Path, help="the directory file")
    _db(imp)
    imp.set_defaults(run=Handler("directory", "import_command"))
    gen = actions.add_parser(
        "generate",
        help="add synthetic people for every agency of the centre",
        description="Add synthetic civil servants (flagged as synthetic) for each agency of the centre, "
        "reproducibly from --seed.",
    )
    _db(gen)
    gen.add_argument("--per-agency", type=listed, default=20, metavar="N", help="people per agency (default 20)")
    gen.add_argument("--seed", type=seed, default=1, help="fixes the people generated (default 1)")
    gen.set_defaults(run=Handler("directory", "generate_command"))


def _add_cases(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cases = commands.add_parser(
        "cases",
        help="list, show, escalate, close, reopen and reassign cases; the chasing list",
        description=_CASES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = cases.add_subparsers(dest="cases_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="cases, filtered", description="List cases, oldest first.")
    _db(listing)
    listing.add_argument("--overdue", action="store_true", help="only open cases past their due date")
    listing.add_argument("--open", action="store_true", help="only cases not closed")
    listing.add_argument(
        "--status", action="append", choices=[s.value for s in CaseStatus], help="only this status (repeatable)"
    )
    listing.add_argument("--tier", choices=[t.value for t in Tier], help="only cases at this tier")
    listing.add_argument("--owner", help="only cases owned by this agent or team")
    listing.add_argument("--at", help="judge 'overdue' at this time (HH:MM today or ISO-8601; default now)")
    listing.add_argument("--ids", action="store_true", help="print only the case ids, one per line")
    json_option(listing, "the cases")
    listing.set_defaults(run=Handler("cases", "list_command"))

    chase = actions.add_parser(
        "chase",
        help="the daily chasing list: overdue cases by tier and owner",
        description="Open cases past their due date, grouped by tier and owner, most overdue first (稽催).",
    )
    _db(chase)
    chase.add_argument("--at", help="the day to chase for (HH:MM today or ISO-8601; default now)")
    json_option(chase, "the chasing list")
    chase.set_defaults(run=Handler("cases", "chase_command"))

    show = actions.add_parser("show", help="one case: fields, journal and screen pop")
    show.add_argument("case_id", metavar="ID")
    _db(show)
    json_option(show, "it")
    _unmasking(show)
    show.set_defaults(run=Handler("cases", "show_command"))

    def change(name: str, help_: str) -> argparse.ArgumentParser:
        short = help_[0].lower() + help_[1:].rstrip(".")
        p = actions.add_parser(name, help=short, description=help_ + " The step is journalled with who and when.")
        p.add_argument("case_id", metavar="ID")
        _db(p)
        p.add_argument("--by", metavar="NAME", help="who does it (default: $CTI_USER or the login name)")
        p.add_argument(
            "--at", help="when, in centre time (HH:MM today or ISO-8601; default now); not before the case's last step"
        )
        p.set_defaults(run=Handler("cases", "change_command"))
        return p

    esc = change("escalate", "Escalate a case to a higher tier, with a new due date.")
    esc.add_argument("--to", required=True, choices=[t.value for t in Tier if t is not Tier.FIRST_LINE])
    esc.add_argument("--owner", help="who takes it (default: the tier's owner from the centre file)")
    esc.add_argument("--urgent", action="store_true", help="make it urgent (due sooner)")
    esc.add_argument("--note", help="why")
    close = change("close", "Close a case.")
    close.add_argument("--note", required=True, help="how it was resolved")
    close.add_argument("--disposition", help="the disposition code (one of [cases].dispositions)")
    reopen = change("reopen", "Reopen a closed case.")
    reopen.add_argument("--note", required=True, help="why")
    assign = change("assign", "Reassign a case to another owner (and, with --tier, another tier).")
    assign.add_argument("--owner", required=True, help="the new owner")
    assign.add_argument("--tier", choices=[t.value for t in Tier], help="move it to this tier too")
    assign.add_argument("--note", help="why")


def _add_calls(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calls = commands.add_parser("calls", help="list calls; one call: journal, case and screen pop")
    actions = calls.add_subparsers(dest="calls_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="calls, filtered",
        description="List calls, oldest first (the newest last), in the centre's time zone. Filters combine; "
        "--last N keeps the N most recent of the calls that match. Caller numbers are masked unless --unmasked.",
    )
    _db(listing)
    listing.add_argument("--date", metavar="YYYY-MM-DD", help="only calls that arrived that day (centre time zone)")
    listing.add_argument("--system", help="only calls about this system (an id from the centre file)")
    listing.add_argument("--agency", help="only calls from this agency")
    listing.add_argument("--site", help="only calls answered at this site")
    listing.add_argument("--agent", help="only calls answered by this agent")
    listing.add_argument(
        "--outcome",
        help="only this outcome: answered, abandoned, no-agent, interrupted, rejected, ivr-abandoned (hung up in "
        "the IVR), after-hours, in-progress",
    )
    listing.add_argument("--last", type=listed, metavar="N", help="only the N most recent calls")
    listing.add_argument("--ids", action="store_true", help="print only the call ids, one per line")
    json_option(listing, "the calls")
    csv_option(listing, "the calls")
    _unmasking(listing)
    listing.set_defaults(run=Handler("calls", "list_command"))
    show = actions.add_parser(
        "show",
        help="a call's row, journal and the screen pop its agents saw",
        description="Show one call: its outcome, its journal (queue_log verbs), its case and the screen pop "
        "that rang with it. Phone numbers are masked unless --unmasked.",
    )
    show.add_argument("call_id", metavar="CALL_ID")
    _db(show)
    json_option(show, "it")
    _unmasking(show)
    show.set_defaults(run=Handler("calls", "show_command"))


_DEMO_HELP = """\
Run the whole centre embedded: the in-process bus, the CTI server, the
simulated PBX, a bot on every voice seat and callers dialling the hotline,
with every call journalled in SQLite. After --minutes of calls the centre
drains, and the figures are printed in total, per site, per agent and per
system.

One server per database: a demo takes the database's lease first. On a
database another live server holds it exits 1 naming that server (process,
host, since when); a holder that was killed is taken over at once, one that
stopped heartbeating after 3 s. If its own lease is taken over, it stops
with exit 1 without writing more.

  cti demo                          an hour of the busy hour, in about a minute
  cti demo --speed max --seed 7     virtual time: instant and reproducible
  cti demo --db demo.db --json figures.json
  cti export calls --db demo.db > calls.csv
"""
