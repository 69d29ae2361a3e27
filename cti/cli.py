"""The ``cti`` command line.

Exit status: 0 success, 1 the input was refused (a bad centre file, …), 2 the
command line itself was wrong.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cti.config import ConfigError, as_mapping, default_centre_text, load_centre
from cti.errors import CtiError

EXIT_OK = 0
EXIT_REFUSED = 1

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
    default.set_defaults(run=_config_default)
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
    check.add_argument("--json", action="store_true", help="print the summary as JSON instead of tables")
    check.add_argument("-q", "--quiet", action="store_true", help="print nothing on success but warnings")
    check.set_defaults(run=_config_check)

    demo = commands.add_parser(
        "demo",
        help="run the whole centre in one process: server, PBX, agent bots, callers",
        description=_DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--minutes", type=_positive, default=60.0, help="centre minutes of calls (default 60)")
    demo.add_argument(
        "--speed",
        type=_speed,
        default=None,
        help="times real time, or 'max' for virtual time (default: the run takes about a minute)",
    )
    demo.add_argument("--seed", type=int, default=1, help="fixes traffic and bot behaviour (default 1)")
    demo.add_argument("--db", type=Path, help="SQLite database to use (default: a new one in a temporary directory)")
    demo.add_argument("--config", metavar="FILE", help="centre file (default: the shipped DGPA centre)")
    demo.add_argument("--start", type=str, default="10:00", help="centre time to start at: HH:MM today, or ISO-8601")
    demo.add_argument(
        "--busy-hour-calls", type=_non_negative, default=None, help="calls in the busiest hour (default 100)"
    )
    demo.add_argument("--json", metavar="PATH", type=Path, help="also write the figures as JSON to PATH")
    demo.add_argument("--log", metavar="PATH", type=Path, help="JSON-lines log (default: beside the database)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no tables")
    demo.set_defaults(run=_demo)

    export = commands.add_parser("export", help="write data from a database as CSV")
    export_cmds = export.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    calls = export_cmds.add_parser(
        "calls",
        help="one row per call",
        description=(
            "Write one CSV row per call to standard output (UTF-8, header row): ids, ISO-8601 times in the "
            "centre's time zone, outcome (answered, abandoned, no-agent, interrupted, rejected, in-progress), "
            "and unrounded wait_s, talk_s and wrap_up_s. Caller numbers are masked."
        ),
    )
    calls.add_argument("--db", type=Path, required=True, help="the database a run wrote")
    calls.add_argument("--run", dest="run_id", type=int, metavar="N", help="only this run (default: every run)")
    calls.set_defaults(run=_export_calls)
    return parser


_DEMO_HELP = """\
Run the whole centre embedded: the in-process bus, the CTI server, the
simulated PBX, a bot on every voice seat and callers dialling the hotline,
with every call journalled in SQLite. After --minutes of calls the centre
drains, and the figures are printed in total, per site and per system.

  cti demo                          an hour of the busy hour, in about a minute
  cti demo --speed max --seed 7     virtual time: instant and reproducible
  cti demo --db demo.db --json figures.json
  cti export calls --db demo.db > calls.csv
"""


def _positive(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _speed(text: str) -> float | str:
    return "max" if text == "max" else _positive(text)


def _config_default(args: argparse.Namespace) -> int:
    sys.stdout.write(default_centre_text())
    return EXIT_OK


def _config_check(args: argparse.Namespace) -> int:
    loaded = load_centre(args.file)
    warnings = loaded.centre.warnings()
    if args.json:
        print(json.dumps({"file": loaded.source, "valid": True, **as_mapping(loaded.centre)}, ensure_ascii=False))
        return EXIT_OK
    for warning in warnings:
        print(f"warning: {loaded.source}: {warning}", file=sys.stderr)
    if not args.quiet:
        from cti.summary import print_summary

        print_summary(loaded.centre, loaded.source)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from cti.runs import demo_command

    return demo_command(args)


def _export_calls(args: argparse.Namespace) -> int:
    from cti.runs import export_calls_command

    return export_calls_command(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (ConfigError, CtiError) as err:
        print(f"cti: {err}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # e.g. `cti config default | head`
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
