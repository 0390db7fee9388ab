"""The messages page shows 100 at a time, and links to older ones."""
from __future__ import annotations

import re

from portal.core.db import commit
from portal.notify.services import queue_sms


def test_older_messages_are_one_click_away(auth, client, make_practice, make_staff):
    practice = make_practice()
    for i in range(105):
        queue_sms(practice_id=practice.id, to="+33612345678", body=f"Message {i:03d}", key=f"page:{i}",
                  category="manual")
    commit()
    auth.staff(make_staff(practice, "secretary"))
    page = client.get("/console/messages-envoyes/?canal=sms").get_data(as_text=True)
    assert "Message 104" in page and "Message 004" not in page
    older = re.search(r'href="([^"]*avant=\d+[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "canal=sms" in older
    page = client.get(older).get_data(as_text=True)
    assert "Message 004" in page and "Message 104" not in page
