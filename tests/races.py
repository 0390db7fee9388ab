"""Real races for the no-double-booking tests: many POSTs released at once on a threaded HTTP
server serving the test app, each on its own connection."""
from __future__ import annotations

import html
import threading
import urllib.error
import urllib.parse
import urllib.request

from werkzeug.serving import make_server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_at_once(app, path: str, bodies: list[dict], cookie: str) -> list[tuple[int, str]]:
    """POST each form body to `path` at the same instant (a barrier releases them together),
    with the session cookie `cookie`; returns (status, unescaped body) per request, in order."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}{path}"
    barrier, results = threading.Barrier(len(bodies)), [None] * len(bodies)
    opener = urllib.request.build_opener(_NoRedirect)

    def attempt(i):
        request = urllib.request.Request(url, data=urllib.parse.urlencode(bodies[i]).encode(), method="POST", headers={
            "Cookie": f"__Host-sourire={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
        barrier.wait()
        try:
            with opener.open(request, timeout=60) as response:
                results[i] = (response.status, "")
        except urllib.error.HTTPError as exc:
            results[i] = (exc.code, html.unescape(exc.read().decode()))

    try:
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(bodies))]
        [t.start() for t in threads]
        [t.join() for t in threads]
    finally:
        server.shutdown()
        server.server_close()
    return results
