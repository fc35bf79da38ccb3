"""Command line: ``mentormeet serve``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.app import run
from server.config import ConfigError, load_config

__all__ = ["main"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mentormeet", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the rooms, the API and the MPM dashboard")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on")
    serve.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="where the database and secrets live"
    )
    serve.add_argument("--cert", type=Path, help="TLS certificate chain (PEM): serve HTTPS")
    serve.add_argument("--key", type=Path, help="TLS private key (PEM) for --cert")
    return parser.parse_args(argv)


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
        )
    except ConfigError as error:
        print(f"mentormeet: {error}", file=sys.stderr)
        return 2
    print(f"mentormeet serving on {config.base_url}", flush=True)
    where = f" (token kept in {config.admin_token_file})" if config.admin_token_file else ""
    print(f"MPM dashboard: {config.base_url}/mpm#token={config.admin_token}{where}", flush=True)
    run(config)
    return 0
