"""Periodic jobs, for RQ's cron scheduler: `rq cron cron.py --url $REDIS_URL`, next to
`python worker.py` (which runs what this enqueues). Times are UTC.

Without Redis (the demo), run them from the system's cron instead:
`flask notify send-reminders` every 5 minutes, `flask booking extend-window` nightly,
`flask billing reconcile` daily (Stripe sessions whose webhook never came) and
`flask billing send-overdue-reminders` daily (08:00 UTC).
"""
import os

from rq import cron

from portal.billing.jobs import reconcile_stripe, send_overdue_payment_reminders
from portal.booking.jobs import extend_booking_windows
from portal.notify.jobs import send_reminders

QUEUE = os.environ.get("RQ_QUEUE", "sourire")  # the app reads the same setting

# Every 5 minutes: each reminder leaves within 10 minutes of its time (seed 000 says 12:10 for 12:00).
cron.register(send_reminders, queue_name=QUEUE, interval=5 * 60)
cron.register(extend_booking_windows, queue_name=QUEUE, cron="5 1 * * *")
# Daily over the last 3 days' sessions, so each is looked at on three nights; whichever of the job
# and the webhook comes first records it. One Stripe listing per practice: room for many.
cron.register(reconcile_stripe, queue_name=QUEUE, cron="30 2 * * *", job_timeout=30 * 60)
# Daily in the morning (09:00 or 10:00 in Paris): idempotent, each item's step is sent once.
cron.register(send_overdue_payment_reminders, queue_name=QUEUE, cron="0 8 * * *")
