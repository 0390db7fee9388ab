"""Periodic jobs, for RQ's cron scheduler: `rq cron cron.py --url $REDIS_URL`, next to
`python worker.py` (which runs what this enqueues). Times are UTC.

Without Redis (the demo), run them from the system's cron instead:
`flask notify send-reminders` every 5 minutes, `flask booking extend-window` nightly and
`flask billing send-overdue-reminders` daily (08:00 UTC).
"""
import os

from rq import cron

from portal.billing.jobs import send_overdue_payment_reminders
from portal.booking.jobs import extend_booking_windows
from portal.notify.jobs import send_reminders

QUEUE = os.environ.get("RQ_QUEUE", "sourire")  # the app reads the same setting

# Every 5 minutes: each reminder leaves within 10 minutes of its time (seed 000 says 12:10 for 12:00).
cron.register(send_reminders, queue_name=QUEUE, interval=5 * 60)
cron.register(extend_booking_windows, queue_name=QUEUE, cron="5 1 * * *")
# Daily in the morning (09:00 or 10:00 in Paris): idempotent, each item's step is sent once.
cron.register(send_overdue_payment_reminders, queue_name=QUEUE, cron="0 8 * * *")
