"""`python -m minsheng_notify serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_notify.app import MIGRATIONS, create_app
from minsheng_notify.settings import NotifySettings


def main() -> None:
    cli.run(
        settings_factory=NotifySettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
