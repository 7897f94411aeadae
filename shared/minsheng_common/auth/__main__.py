"""Manage credentials (add-key, revoke-key, add-user, list).

People: add-user, disable-user, enable-user, set-role, remove-user.

Rotating a key without downtime: `add-key` a new one for the same caller, move the
caller to it, then `revoke-key` the old one (optionally `--at` a later time). Every
service notices the changed file within a second.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime, timedelta
from pathlib import Path

from minsheng_common.auth import provisioning, registry
from minsheng_common.auth.roles import Role
from minsheng_common.timeutil import as_utc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m minsheng_common.auth")
    parser.add_argument("--file", type=Path, default=Path(".data/credentials.json"))
    commands = parser.add_subparsers(dest="command", required=True)

    add_key = commands.add_parser("add-key", help="create an API key (shown once)")
    add_key.add_argument("--name", required=True)
    add_key.add_argument("--role", required=True, choices=[r.value for r in Role])
    add_key.add_argument("--unit")
    add_key.add_argument("--channel")
    add_key.add_argument("--expires-days", type=float)

    revoke = commands.add_parser("revoke-key", help="revoke an API key")
    revoke.add_argument("key_id")
    revoke.add_argument("--at", type=datetime.fromisoformat, help="later revocation")

    add_user = commands.add_parser("add-user", help="create a person (password asked)")
    add_user.add_argument("username")
    add_user.add_argument("--role", required=True, choices=[r.value for r in Role])
    add_user.add_argument("--unit")

    disable = commands.add_parser("disable-user", help="stop a person signing in")
    disable.add_argument("username")
    enable = commands.add_parser("enable-user", help="let a disabled person back in")
    enable.add_argument("username")
    set_role = commands.add_parser("set-role", help="change a person's role")
    set_role.add_argument("username")
    set_role.add_argument("--role", required=True, choices=[r.value for r in Role])
    set_role.add_argument("--unit")
    remove = commands.add_parser("remove-user", help="delete a person")
    remove.add_argument("username")

    commands.add_parser("list", help="list keys and users (no secrets)")
    arguments = parser.parse_args(argv)

    try:
        _run(arguments)
    except (ValueError, KeyError) as error:
        parser.error(f"{arguments.command}: {error}")


def _run(arguments: argparse.Namespace) -> None:
    if arguments.command == "add-key":
        expires = (
            timedelta(days=arguments.expires_days) if arguments.expires_days else None
        )
        plain = provisioning.add_key(
            arguments.file,
            name=arguments.name,
            role=Role(arguments.role),
            unit_id=arguments.unit,
            channel_id=arguments.channel,
            expires_in=expires,
        )
        print(plain)
    elif arguments.command == "revoke-key":
        at = as_utc(arguments.at) if arguments.at else None
        provisioning.revoke_key(arguments.file, arguments.key_id, at=at)
    elif arguments.command == "add-user":
        password = getpass.getpass("password: ") if sys.stdin.isatty() else input()
        provisioning.add_user(
            arguments.file,
            username=arguments.username,
            password=password,
            role=Role(arguments.role),
            unit_id=arguments.unit,
        )
    elif arguments.command in ("disable-user", "enable-user"):
        disabled = arguments.command == "disable-user"
        provisioning.change_user(arguments.file, arguments.username, disabled=disabled)
    elif arguments.command == "set-role":
        provisioning.change_user(
            arguments.file,
            arguments.username,
            role=Role(arguments.role),
            unit_id=arguments.unit,
        )
    elif arguments.command == "remove-user":
        provisioning.remove_user(arguments.file, arguments.username)
    else:
        credentials = registry.load(arguments.file)
        for key in credentials.api_keys:
            state = "revoked" if key.revoked_at else "active"
            where = key.unit_id or key.channel_id or ""
            print(
                f"key  {key.key_id}  {key.role:<10} {where:<16} {state:<8} {key.name}"
            )
        for user in credentials.users:
            print(f"user {user.username:<14} {user.role:<10} {user.unit_id or ''}")


if __name__ == "__main__":
    main()
