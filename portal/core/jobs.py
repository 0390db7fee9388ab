"""The one way to enqueue background work.

Services call `enqueue(...)` during their unit of work; nothing leaves until `commit()` has
succeeded (STYLE rule 3). With `REDIS_URL` set, jobs go to RQ and `worker.py` runs them; with
no Redis (the demo default), they run in this process right after the commit, and the log says
so at start-up. Job functions take ids, never ORM objects, and are idempotent.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db

log = logging.getLogger(__name__)


@dataclass
class PendingJob:
    func: object
    args: tuple
    title: str
    timeout: int = 60
    retries: list[int] = field(default_factory=lambda: [10, 60, 300])


def enqueue(func, *args, title: str, timeout: int = 60, retries: list[int] | None = None) -> None:
    """Schedule `func(*args)` to run after the current unit of work commits."""
    job = PendingJob(func, args, title, timeout, retries if retries is not None else [10, 60, 300])
    db.session.info.setdefault("pending_jobs", []).append(job)


def enqueue_many(func, args_list: list[tuple], *, titles: list[str], timeout: int = 60,
                 retries: list[int] | None = None) -> None:
    """Schedule `func(*args)` for each args, after the commit: one job each (each retried on its
    own), handed to RQ together in one pipeline by `flush_pending`."""
    for args, title in zip(args_list, titles, strict=True):
        enqueue(func, *args, title=title, timeout=timeout, retries=retries)


def discard_pending() -> None:
    db.session.info.pop("pending_jobs", None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_jobs_of_rolled_back_work(session, previous_transaction) -> None:
    # A rolled-back unit of work must not send anything, even if the session commits later.
    if not previous_transaction.nested:
        session.info.pop("pending_jobs", None)


def redis_connection() -> Redis | None:
    url = current_app.config.get("REDIS_URL")
    return Redis.from_url(url) if url else None


def queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def flush_pending() -> None:
    pending = db.session.info.pop("pending_jobs", [])
    if not pending:
        return
    if current_app.config.get("REDIS_URL"):
        q = queue()
        # One Redis pipeline for all of them: a sweep that queues hundreds of reminders makes one
        # round trip, not hundreds.
        q.enqueue_many([Queue.prepare_data(
            job.func, args=job.args, timeout=job.timeout, description=job.title,
            retry=Retry(max=len(job.retries), interval=job.retries) if job.retries else None,
        ) for job in pending])
        return
    for job in pending:
        log.info("running job in-process (no REDIS_URL): %s", job.title)
        try:
            job.func(*job.args)
        except Exception:  # the job left its own trace (outbox row marked failed)
            log.exception("in-process job failed: %s", job.title)
            db.session.rollback()


def job(func):
    """Mark a job function: it runs inside the worker's app context.

    `worker.py` builds the app once and pushes its context; in-process and test runs already
    have one. Each job is its own entry point, so it commits through `commit()` itself.
    """

    @wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        from worker import get_app  # built once per worker process

        with get_app().app_context():
            return func(*args, **kwargs)

    return wrapper
