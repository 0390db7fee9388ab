"""Invitation letters as a PDF (WeasyPrint): one A4 page per recipient, the practice's letterhead
from its coordinates, and the address block where a window envelope (DL, window on the right)
shows it. Built on demand from a batch's own copy of the text: nothing is stored."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import render_template

from portal.console.invitations import batch_patients, render_for
from portal.console.models import InvitationBatch, InvitationTemplate
from portal.core import audit
from portal.core.audit import Actor
from portal.core.models import Practice
from portal.extensions import db


def _no_fetch(url, *args, **kwargs):
    # The letters carry no image or stylesheet from outside: nothing typed in a template may
    # make the server fetch a URL while rendering.
    raise ValueError(f"external resource refused: {url[:80]}")


def letters_html(practice: Practice, template: InvitationTemplate, patients) -> tuple[str, int]:
    """The letters' HTML for these patients (those without a full postal address left out), and
    how many letters it holds."""
    letters = []
    for patient in patients:
        rendered = render_for(practice, template, patient)
        if rendered.recipient.has_address:
            letters.append(rendered)
    today = datetime.now(ZoneInfo(practice.timezone)).date()
    return render_template("console/invitation_letters.html", practice=practice, letters=letters,
                           today=today), len(letters)


def letters_pdf(practice: Practice, template: InvitationTemplate, patients) -> tuple[bytes, int]:
    """The PDF of `letters_html`, and its number of pages (one per letter; a blank notice page
    when there is none, so the file always opens)."""
    from weasyprint import HTML

    html, count = letters_html(practice, template, patients)
    document = HTML(string=html, url_fetcher=_no_fetch).render()
    return document.write_pdf(), len(document.pages)


def batch_pdf(batch: InvitationBatch, *, actor: Actor) -> tuple[bytes, int]:
    """The letters of a letter batch, as sent: its text, its patients still on file. Audited as
    `invitation.letters_downloaded` (names and addresses leave the building on paper)."""
    practice = db.session.get(Practice, batch.practice_id)
    text = InvitationTemplate(channel=batch.channel, subject=batch.subject, body=batch.body)
    pdf, pages = letters_pdf(practice, text, batch_patients(batch))
    audit.record("invitation.letters_downloaded", actor=actor, practice_id=practice.id, target=batch,
                 details={"pages": pages})
    return pdf, pages
