"""The ``cti`` command line.

Exit status: 0 success, 1 the input was refused (a bad centre file, …), 2 the
command line itself was wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from cti.config import ConfigError, as_mapping, default_centre_text, load_centre

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
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigError as err:
        print(f"cti: {err}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # e.g. `cti config default | head`
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
