"""The RQ worker: `python worker.py` (needs REDIS_URL). Builds the app once, runs the jobs
and RQ's scheduler (for retries with backoff and scheduled work)."""
from __future__ import annotations

import sys

from rq import Worker

_app = None


def get_app():
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


def main() -> int:
    app = get_app()
    if not app.config["REDIS_URL"]:
        print("REDIS_URL is not set: jobs run inside the web process; no worker needed.", file=sys.stderr)
        return 2
    with app.app_context():
        from portal.core.jobs import queue

        q = queue()
        Worker([q], connection=q.connection).work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
