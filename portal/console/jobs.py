"""Console jobs: putting a mass invitation's e-mails or SMS in the outbox."""
from __future__ import annotations

from portal.console import invitations
from portal.core.db import commit
from portal.core.jobs import job


@job
def queue_invitations(batch_id: int) -> int:
    """Queue a batch's messages chunk by chunk, committing each, so that thousands of patients are
    read in a few queries and a worker that dies resumes without sending twice (outbox keys)."""
    after, rounds = 0, 0
    while after is not None:
        after = invitations.queue_batch_messages(batch_id, after_id=after)
        commit()
        rounds += 1
    return rounds
