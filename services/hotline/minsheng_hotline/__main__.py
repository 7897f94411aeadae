"""`python -m minsheng_hotline serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_hotline.app import MIGRATIONS, create_app
from minsheng_hotline.settings import HotlineSettings


def main() -> None:
    # The app factory takes the adapter's own settings, a subclass of what
    # `cli.run` passes, which it builds with `settings_factory`.
    cli.run(
        settings_factory=HotlineSettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
