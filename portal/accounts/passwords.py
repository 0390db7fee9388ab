"""Password hashing (argon2) and the password policy."""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from portal.core.errors import Invalid
from portal.core.text import name_key

MIN_LENGTH = 12
MAX_LENGTH = 256
# Django's list of 20,000 common passwords (BSD licence), plus French favourites it lacks.
_COMMON_FILE = Path(__file__).with_name("common-passwords.txt.gz")
_FRENCH_COMMON = """azertyuiop azertyuiopqsdf motdepasse motdepasse123 motdepasse1234 soleil123456
bonjour123456 jetaime123456 doudou123456 chouchou1234 marseille1234 parislyon1234 loulou123456
orthodontiste sourire12345 sourire123456 azerty123456 azertyazerty 123456789azerty""".split()


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    with gzip.open(_COMMON_FILE, "rt", encoding="utf-8") as fh:
        words = {line.strip().lower() for line in fh if line.strip()}
    return frozenset(words | set(_FRENCH_COMMON))


def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=current_app.config["ARGON2_TIME_COST"],
                          memory_cost=current_app.config["ARGON2_MEMORY_COST"], parallelism=1)


def check_policy(password: str, *, personal: tuple[str, ...] = ()) -> None:
    """Raise `Invalid` (field 'password') when the password is too short, common or personal."""
    if len(password) < MIN_LENGTH:
        raise Invalid(_("Le mot de passe doit contenir au moins %(n)d caractères.", n=MIN_LENGTH), "password")
    if len(password) > MAX_LENGTH:
        raise Invalid(_("Le mot de passe est trop long."), "password")
    lowered = password.lower()
    if lowered in _common() or len(set(password)) <= 2:
        raise Invalid(_("Ce mot de passe est trop courant : choisissez-en un autre."), "password")
    squeezed = name_key(password).replace(" ", "")
    for word in personal:
        key = name_key(word).replace(" ", "")
        if len(key) >= 4 and (key in squeezed or squeezed in key):
            raise Invalid(_("Le mot de passe ne doit pas reprendre votre nom ou vos coordonnées."), "password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        # Spend the same time as a real check, so timing does not tell who has a password.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
