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
from portal.core.errors import NotFound
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


PART = 200  # letters per PDF: about 20 s of rendering here, and a print job a printer takes whole


def batch_parts(batch: InvitationBatch) -> int:
    """How many PDFs a letter batch is printed as (`PART` letters each)."""
    return max(1, -(-len(batch.patient_ids) // PART))


def batch_pdf(batch: InvitationBatch, *, actor: Actor, part: int = 1) -> tuple[bytes, int]:
    """One part of a letter batch's letters, as sent: its text, its patients still on file, in
    file order. `NotFound` past the last part. Audited as `invitation.letters_downloaded`
    (names and addresses leave the building on paper)."""
    if not 1 <= part <= batch_parts(batch):
        raise NotFound()
    practice = db.session.get(Practice, batch.practice_id)
    text = InvitationTemplate(channel=batch.channel, subject=batch.subject, body=batch.body)
    ids = sorted(batch.patient_ids)[(part - 1) * PART:part * PART]
    patients = batch_patients(batch, after_id=ids[0] - 1, limit=len(ids)) if ids else []
    pdf, pages = letters_pdf(practice, text, patients)
    audit.record("invitation.letters_downloaded", actor=actor, practice_id=practice.id, target=batch,
                 details={"part": part, "pages": pages})
    return pdf, pages
