"""`python -m minsheng_intake serve | migrate | republish --since TIME |
rotate-pii-keys`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from minsheng_common import cli, migrations
from minsheng_common.db import make_engine, make_sessions
from minsheng_common.logs import configure_logging
from minsheng_intake import rotation
from minsheng_intake.app import MIGRATIONS, create_app
from minsheng_intake.settings import IntakeSettings

ROTATE = "rotate-pii-keys"


def main(argv: Sequence[str] | None = None) -> None:
    # Intake's own command is handled here; the shared ones by the common CLI.
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [ROTATE]:
        rotate_pii_keys(arguments[1:])
        return
    cli.run(
        settings_factory=IntakeSettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
        argv=argv,
    )


def rotate_pii_keys(argv: Sequence[str]) -> None:
    """Re-encrypt every stored contact and name under the newest key of
    INTAKE_PII_KEYS (see `minsheng_intake.rotation`)."""
    settings = IntakeSettings()
    parser = argparse.ArgumentParser(prog=f"minsheng-intake {ROTATE}")
    parser.add_argument("--batch-size", type=int, default=settings.pii_rotation_batch)
    arguments = parser.parse_args(argv)

    configure_logging(
        service=settings.service_name,
        level=settings.log_level,
        as_json=settings.log_json,
    )
    settings.ensure_pii_keys(settings.environment, settings.data_dir)
    url = settings.store_url()
    migrations.upgrade(MIGRATIONS, url)
    count = asyncio.run(
        _rotate(url, settings.pii_key_list(), max(arguments.batch_size, 1))
    )
    print(f"{count} personal data values re-encrypted under the newest key")


async def _rotate(url: str, keys: list[str], batch_size: int) -> int:
    engine = make_engine(url)
    try:
        return await rotation.rotate_all(
            sessions=make_sessions(engine), keys=keys, batch_size=batch_size
        )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
