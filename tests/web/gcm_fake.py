"""A local stand-in for the two HTTP calls Chromium makes to Google before `PushManager.subscribe`
can answer: the GCM check-in (protobuf) and the registration (form-encoded, answered with
`token=…`). Chromium is pointed here with `--gcm-checkin-url` and `--gcm-registration-url`, so a
real subscription (real keys, an endpoint carrying our token) is made with no network at all.
Nothing is ever delivered through it: the tests hand pushes to the service worker with the
DevTools protocol instead.
"""

import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ANDROID_ID = 4_242_424_242
SECURITY_TOKEN = 9_999_999_999


def checkin_response() -> bytes:
    """AndroidCheckinResponse: stats_ok (1) = true, android_id (7) and security_token (8) as
    fixed64, settings_diff (9) = false."""
    return (b"\x08\x01" + b"\x39" + struct.pack("<Q", ANDROID_ID)
            + b"\x41" + struct.pack("<Q", SECURITY_TOKEN) + b"\x48\x00")


class FakeGcm:
    def __init__(self) -> None:
        self.registrations: list[dict[str, list[str]]] = []
        self.checkins = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.startswith("/checkin"):
                    fake.checkins += 1
                    out, kind = checkin_response(), "application/x-protobuf"
                else:
                    fake.registrations.append(parse_qs(body.decode("latin-1")))
                    out = f"token=trygg-test-{len(fake.registrations)}".encode()
                    kind = "text/plain"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def chromium_args(self) -> list[str]:
        # The persistent connection for delivery goes to a closed local port: it is never used.
        return [f"--gcm-checkin-url={self.url}/checkin",
                f"--gcm-registration-url={self.url}/register",
                "--gcm-mcs-endpoint=127.0.0.1:9"]

    def start(self) -> "FakeGcm":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
