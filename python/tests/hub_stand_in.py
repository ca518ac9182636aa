"""A loopback stand-in for the Hugging Face Hub's file protocol (the subset the engine's Hub
client uses; see REFERENCE.md), serving model folders as repositories."""
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict


class HubStandIn:
    """Serves `repos` ({"org/name": folder}) at http://127.0.0.1:<port>; `requests` counts calls."""

    def __init__(self, repos: Dict[str, Path]):
        self.repos = {}
        for repo, folder in repos.items():
            files = {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}
            commit = hashlib.sha1(repo.encode()).hexdigest()
            self.repos[repo] = (commit, files)
        self.requests = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=None, head=False):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _route(self, head):
                stand_in.requests += 1
                path = self.path.split("?")[0]
                parts = path.strip("/").split("/")
                if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "revision":
                    repo = "/".join(parts[2:4])
                    if repo not in stand_in.repos:
                        return self._send(404, b"{}", {"X-Error-Code": "RepoNotFound"}, head)
                    commit, files = stand_in.repos[repo]
                    body = json.dumps({"sha": commit, "siblings": [{"rfilename": f} for f in sorted(files)]}).encode()
                    return self._send(200, body, {"Content-Type": "application/json"}, head)
                if len(parts) >= 5 and parts[2] == "resolve":
                    repo = "/".join(parts[:2])
                    name = "/".join(parts[4:])
                    if repo not in stand_in.repos:
                        return self._send(404, b"", {"X-Error-Code": "RepoNotFound"}, head)
                    commit, files = stand_in.repos[repo]
                    if name not in files:
                        return self._send(404, b"", {"X-Error-Code": "EntryNotFound"}, head)
                    body = files[name]
                    etag = hashlib.sha1(body).hexdigest()
                    return self._send(200, body, {"ETag": f'"{etag}"', "X-Repo-Commit": commit}, head)
                return self._send(404, b"", {}, head)

            def do_GET(self):
                self._route(head=False)

            def do_HEAD(self):
                self._route(head=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
