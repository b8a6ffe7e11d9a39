"""A stand-in for Slack's Web API on loopback, built from Slack's documented request and
response shapes (docs.slack.dev/reference/methods): `auth.test`, `users.info` and
`chat.postMessage`. It answers as Slack does — HTTP 200 with `{"ok": true, ...}` or
`{"ok": false, "error": "invalid_auth"}`, HTTP 429 with `Retry-After` when rate limited —
and records every call (method, token, parameters) for the tests to read.

Requests arrive as the SDK sends them: the token as `Authorization: Bearer xoxb-…`,
`auth.test` as a form post, `users.info` as a GET with a query string, `chat.postMessage` as
a JSON post."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_SCOPES = "commands,chat:write,users:read,users:read.email,channels:history,groups:history"


@dataclass
class Call:
    method: str
    token: str
    params: dict[str, Any]


@dataclass
class Workspace:
    team_id: str = "T0ACME"
    team: str = "Acme Workspace"
    url: str = "https://acme-workspace.slack.com/"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    scopes: str = DEFAULT_SCOPES


@dataclass
class SlackStandIn:
    """The state the stand-in answers from; change it between requests."""

    tokens: dict[str, Workspace] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # method → [(HTTP status, Retry-After or None, error code)], answered once each, in turn.
    failures: dict[str, list[tuple[int, str | None, str]]] = field(default_factory=dict)
    next_ts: int = 1795942800
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- set-up -----------------------------------------------------------------------------

    def add_token(self, token: str, **workspace: Any) -> Workspace:
        self.tokens[token] = Workspace(**workspace)
        return self.tokens[token]

    def add_user(
        self,
        user_id: str,
        name: str,
        email: str | None = None,
        *,
        is_bot: bool = False,
        team_id: str = "T0ACME",
    ) -> None:
        profile: dict[str, Any] = {
            "real_name": name,
            "display_name": name.split()[0],
            "real_name_normalized": name,
        }
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": name.split()[0].lower(),
            "deleted": False,
            "real_name": name,
            "is_bot": is_bot,
            "profile": profile,
        }

    def rate_limit_once(self, method: str, retry_after: int = 30) -> None:
        """The next call of `method` gets HTTP 429 with `Retry-After`, as Slack's rate limits."""
        self.failures.setdefault(method, []).append((429, str(retry_after), "ratelimited"))

    def fail_next(self, method: str, error: str, times: int = 1, status: int = 200) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self.failures.setdefault(method, []).extend([(status, None, error)] * times)

    # --- what was asked ---------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def posts(self) -> list[dict[str, Any]]:
        """The parameters of every chat.postMessage that succeeded or not, in order."""
        return [call.params for call in self.calls_of("chat.postMessage")]

    # --- answers ----------------------------------------------------------------------------

    def answer(
        self, method: str, token: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(method, token, params))
            queued = self.failures.get(method)
            if queued:
                status, retry_after, error = queued.pop(0)
                headers = {"Retry-After": retry_after} if retry_after else {}
                return status, headers, {"ok": False, "error": error}
            workspace = self.tokens.get(token)
            if workspace is None:
                return (
                    200,
                    {},
                    {"ok": False, "error": "not_authed" if not token else "invalid_auth"},
                )
            if method == "auth.test":
                return (
                    200,
                    {"x-oauth-scopes": workspace.scopes},
                    {
                        "ok": True,
                        "url": workspace.url,
                        "team": workspace.team,
                        "user": "casedesk",
                        "team_id": workspace.team_id,
                        "user_id": workspace.bot_user_id,
                        "bot_id": workspace.bot_id,
                        "is_enterprise_install": False,
                    },
                )
            if method == "users.info":
                user = self.users.get(str(params.get("user", "")))
                if user is None:
                    return 200, {}, {"ok": False, "error": "user_not_found"}
                return 200, {}, {"ok": True, "user": user}
            if method == "chat.postMessage":
                return 200, {}, self._post(workspace, params)
            return 200, {}, {"ok": False, "error": "unknown_method"}

    def _post(self, workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        channel, text = params.get("channel"), params.get("text")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not text:
            return {"ok": False, "error": "no_text"}
        self.next_ts += 1
        ts = f"{self.next_ts}.000100"
        message = {
            "type": "message",
            "subtype": "bot_message",
            "text": text,
            "ts": ts,
            "user": workspace.bot_user_id,
            "bot_id": workspace.bot_id,
        }
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        method = parts.path.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if raw and content_type.startswith("application/json"):
            params.update(json.loads(raw))
        elif raw:
            params.update(parse_qsl(raw.decode()))
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(params.pop("token", ""))
        status, headers, body = self.server.standin.answer(method, token, params)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: SlackStandIn


class Running:
    """The stand-in serving on 127.0.0.1 at a free port, in a thread of its own."""

    def __init__(self) -> None:
        self.standin = SlackStandIn()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self.standin
        port = self._server.server_address[1]
        self.standin.url = f"http://127.0.0.1:{port}/api/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="slack-standin"
        )

    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self.standin

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
