"""``cti``: parse the command line, run the command, turn refused input into one line and an exit status.

Exit status: 0 success, 1 the input was refused (a bad centre file, …), 2 the
command line itself was wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cti.cli.parser import build_parser
from cti.config import ConfigError
from cti.errors import CommandLineError, CtiError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_COMMAND_LINE = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except CommandLineError as err:
        print(f"cti: {err}", file=sys.stderr)
        return EXIT_COMMAND_LINE
    except (ConfigError, CtiError) as err:
        print(f"cti: {err}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # e.g. `cti config default | head`
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
