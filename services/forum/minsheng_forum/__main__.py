"""`python -m minsheng_forum serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_forum.app import MIGRATIONS, create_app
from minsheng_forum.settings import ForumSettings


def main() -> None:
    cli.run(
        settings_factory=ForumSettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
