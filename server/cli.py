"""The command line: ``mentormeet serve`` and ``mentormeet --version``."""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from server.app import run
from server.config import Config, ConfigError, load_config
from server.settings import SETTINGS, database_location

__all__ = ["main", "sign_in_hint"]


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Flags with their defaults (when they have one), and the environment settings laid
    out as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


def _environment_help() -> str:
    lines = ["environment settings (all checked at start; README, Configuration):"]
    for setting in SETTINGS:
        lines.append(f"  {setting.name} (default: {setting.default})")
        lines.append(f"      {setting.help}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mentormeet",
        description="A video room for mentoring pairs that tells the program manager how "
        "the meeting went.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the rooms, the API and the MPM dashboard",
        description="Serve the rooms, the API and the MPM dashboard until interrupted.",
        epilog=_environment_help(),
        formatter_class=_HelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="where the database and secrets live"
    )
    serve.add_argument(
        "--database",
        type=database_location,
        help="the event store: a SQLite file or a postgresql:// URL "
        "(default: MENTORMEET_DATABASE_URL, else DATA_DIR/mentormeet.db)",
    )
    serve.add_argument("--cert", type=Path, help="TLS certificate chain (PEM): serve HTTPS")
    serve.add_argument("--key", type=Path, help="TLS private key (PEM) for --cert")
    return parser.parse_args(argv)


def _version() -> str:
    try:
        return metadata.version("mentormeet")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def sign_in_hint(config: Config) -> list[str]:
    """How the MPM gets in. The admin token goes into no URL, and one given in the
    environment is never printed; a generated one is shown once, when it is made."""
    lines = [f"MPM dashboard: {config.base_url}/mpm"]
    if config.admin_token_file is None:
        lines.append("Sign in there with the token in MENTORMEET_ADMIN_TOKEN.")
    elif config.admin_token_created:
        lines.append(
            f"Sign in there with this token (shown once, kept in {config.admin_token_file}):"
        )
        lines.append(f"  {config.admin_token}")
    else:
        lines.append(f"Sign in there with the token kept in {config.admin_token_file}.")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = parse_args(argv)
    try:
        config = load_config(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            tls_cert=args.cert,
            tls_key=args.key,
            database=args.database,
        )
    except ConfigError as error:
        print(f"mentormeet: {error}", file=sys.stderr)
        return 2
    print(f"mentormeet serving on {config.base_url}", flush=True)
    for line in sign_in_hint(config):
        print(line, flush=True)
    run(config)
    return 0
