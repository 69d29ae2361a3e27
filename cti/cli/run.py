"""``cti``: parse the command line, run the command, turn refused input into one line and an exit status.

Exit status (docs/cli.md): 0 success (also after SIGTERM, a clean stop);
1 the input a command names was refused (a file, database or centre);
2 the command line itself was wrong; 130 after Ctrl-C.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

from cti.cli.parser import parse
from cti.cli.signals import EXIT_INTERRUPTED, Terminated, stop_on_sigterm
from cti.config import ConfigError
from cti.errors import CommandLineError, CtiError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_COMMAND_LINE = 2


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # a second Ctrl-C, while the first was being handled
        return _interrupted()


def _interrupted() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping already: more Ctrl-C changes nothing
    print("cti: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    try:
        stop_on_sigterm()
        args = parse(argv)
        from cti.cli.output import check_outputs

        check_outputs(args)
        code: int = args.run(args)
    except CommandLineError as err:
        _refused(err)
        return EXIT_COMMAND_LINE
    except (ConfigError, CtiError) as err:
        _refused(err)
        return EXIT_REFUSED
    except BrokenPipeError:  # e.g. `cti config default | head`
        sys.stderr.close()
        return EXIT_OK
    except Terminated:
        print("cti: terminated", file=sys.stderr)
        return EXIT_OK
    except KeyboardInterrupt:
        return _interrupted()
    return code


def _refused(err: Exception) -> None:
    """The one line saying why, with no control character a value in it may have brought."""
    from cti.cli.terminal import clean

    print(f"cti: {clean(str(err))}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
