"""Move the shared demo clock: `python -m minsheng_common.devstack.clock advance 2h`.

Every service started by the local launcher reads "now" from the same clock file, so
moving it makes deadlines fall due at once, for all of them.
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import timedelta
from pathlib import Path

from minsheng_common.clock import SharedClock
from minsheng_common.timeutil import format_local

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """`90m`, `2h`, `3d` or `1d2h30m` as a timedelta."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"not a duration like 2h or 1d30m: {text!r}")
    return timedelta(**{_UNITS[unit]: float(number) for number, unit in parts})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--file",
        type=Path,
        default=Path(os.environ.get("MINSHENG_CLOCK_FILE", ".data/clock.json")),
        help="shared clock file (default: $MINSHENG_CLOCK_FILE or .data/clock.json)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    advance = commands.add_parser("advance", help="move now forward")
    advance.add_argument("duration", type=parse_duration)
    commands.add_parser("show", help="print the shared now")
    arguments = parser.parse_args()

    if not arguments.file.parent.is_dir():
        parser.error(
            f"no data folder at {arguments.file.parent.resolve()}: run this from the "
            "project folder, or pass --file"
        )
    clock = SharedClock(arguments.file)
    if arguments.command == "advance":
        clock.advance(arguments.duration)
    elif not arguments.file.exists():
        print(f"no shared clock at {arguments.file}: services use the system clock")
    print(f"now is {format_local(clock.now())}")


if __name__ == "__main__":
    main()
