"""`python -m minsheng_intake serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_intake.app import MIGRATIONS, create_app
from minsheng_intake.settings import IntakeSettings


def main() -> None:
    cli.run(
        settings_factory=IntakeSettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
