"""`python -m minsheng_mailbox serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_mailbox.app import MIGRATIONS, create_app
from minsheng_mailbox.settings import MailboxSettings


def main() -> None:
    # The app factory takes the adapter's own settings, a subclass of what
    # `cli.run` passes, which it builds with `settings_factory`.
    cli.run(
        settings_factory=MailboxSettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
