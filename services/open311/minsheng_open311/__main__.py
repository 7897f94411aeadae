"""`python -m minsheng_open311 serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_open311.app import MIGRATIONS, create_app
from minsheng_open311.settings import Open311Settings


def main() -> None:
    cli.run(
        settings_factory=Open311Settings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
