"""Who is acting, and the audit trail they leave.

Services take `actor=` (never `request`): views build it with `portal.core.web.current_actor()`,
the CLI with `Actor.operator()`, jobs with `Actor.system()`.
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass, replace

from portal.core.models import AuditEvent
from portal.extensions import db


@dataclass(frozen=True)
class Actor:
    type: str  # staff, patient, operator, system, anonymous
    id: int | None = None
    label: str = ""
    practice_id: int | None = None
    role: str = ""
    ip: str = ""
    user_agent: str = ""

    @classmethod
    def operator(cls) -> "Actor":
        try:
            who = getpass.getuser()
        except Exception:  # no login name in some containers
            who = "operator"
        return cls("operator", label=f"cli:{who}")

    def become(self, user) -> "Actor":
        """The same browser, now known as `user` (for the sign-in event itself)."""
        if user.kind == "staff":
            return replace(self, type="staff", id=user.id, label=user.email, practice_id=user.practice_id,
                           role=user.role.value)
        return replace(self, type="patient", id=user.id, label=user.phone, practice_id=user.practice_id)

    @classmethod
    def system(cls, label: str = "job") -> "Actor":
        return cls("system", label=label)


def record(action: str, *, actor: Actor, practice_id: int | None = None, target=None,
           details: dict | None = None) -> AuditEvent:
    """Append one audit event. `target` is any model instance with an `id`."""
    event = AuditEvent(
        practice_id=practice_id if practice_id is not None else actor.practice_id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label[:200],
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        ip=actor.ip[:64],
        user_agent=actor.user_agent[:300],
        details=details or {},
    )
    db.session.add(event)
    return event
