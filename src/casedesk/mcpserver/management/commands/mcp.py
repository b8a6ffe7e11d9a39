import os
from pathlib import Path
from typing import Any

import anyio
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.core.origin import process_via_set
from casedesk.mcpserver.caller import caller_for_secret, calling_as
from casedesk.mcpserver.server import build_server

TOKEN_ENV = "CASEDESK_API_TOKEN"
EX_USAGE = 64  # sysexits: no token was given
EX_NOPERM = 77  # sysexits: the token given does not work


class Command(BaseCommand):
    help = (
        "Runs the MCP server for AI agents on stdio, acting with an API token "
        f"(${TOKEN_ENV} or --token-file). With --http, serves the web site, whose /mcp "
        "endpoint is the same server over Streamable HTTP."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--token-file",
            metavar="PATH",
            help=f"A file holding the API token (instead of ${TOKEN_ENV}).",
        )
        parser.add_argument(
            "--http",
            action="store_true",
            help="Serve /mcp over HTTP (the web server, as `serve`) instead.",
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["http"]:
            # Each HTTP request brings its own token; the endpoint is the web site's.
            self.stderr.write(f"MCP endpoint: http://{options['host']}:{options['port']}/mcp")
            call_command("serve", host=options["host"], port=options["port"])
            return
        secret = self._secret(options["token_file"])
        caller = caller_for_secret(secret)
        if caller is None:
            raise CommandError(
                "The API token is not valid (unknown, revoked, or its member is "
                "inactive). Make one with `casedesk create_token`.",
                returncode=EX_NOPERM,
            )
        process_via_set("mcp")
        server = build_server()
        with calling_as(caller):
            anyio.run(server.run_stdio_async)

    def _secret(self, token_file: str | None) -> str:
        if token_file:
            try:
                secret = Path(token_file).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeError) as error:
                raise CommandError(
                    f"Cannot read the token file {token_file}: {error}", returncode=EX_USAGE
                ) from None
        else:
            secret = os.environ.get(TOKEN_ENV, "").strip()
        if not secret:
            raise CommandError(
                f"No API token: set {TOKEN_ENV} or pass --token-file PATH "
                "(make one with `casedesk create_token`).",
                returncode=EX_USAGE,
            )
        return secret
