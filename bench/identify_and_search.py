#!/usr/bin/env python
"""Benchmark: patient identification and the staff patient search, against a bare Flask route.

    python bench/identify_and_search.py [--db sqlite|postgresql|both] [--patients 20000] [--requests N]

For each backend: a fresh database built by the real Alembic migrations, two practices
(`--patients` in the measured one, `--second-practice` in another so that scoping is real),
realistic French families (parents, siblings sharing a parent's mobile, financial
responsibles), portal accounts with a password for part of the numbers, and a staff user
signed in through the real forms (password + TOTP).

Then, in-process with the Flask test client (no network), after a warm-up, every case is run
round-robin in a shuffled order each round so that all cases share the machine's noise:

  bare route        GET /bench/bare, registered here, returns "ok": the framework baseline
  identification    POST /connexion (phone + last name + first name + birth date) -> 303 to
                    the password step (the account already has a password: no SMS is sent)
  search by mobile  GET /console/patients/?q=<a parent's mobile, national format>
  search by prefix  GET /console/patients/?q=<3-4 first letters of a last name>
  search nom prénom GET /console/patients/?q=<last name first name>
  live search       the same three searches as the search box sends them while the staff member
                    types (htmx: HX-Target patients-results): the results fragment, no layout
  reference         GET /console/patients/?q=<a file number that does not exist>: the fixed
                    cost of a signed-in console page with an empty result
  service ...       the same look-ups called directly (identify(), search_patients()) in a
                    fresh app context, to separate the query from the page around it; also
                    linked_patients(), which the sign-in flow and every patient-space page run

Printed per backend: n, median and p95 in milliseconds, and the ratio of each median to the
bare route's median measured in the same run. Ratios travel between machines; milliseconds
do not. The report is also written to bench/results/<timestamp>.txt (git-ignored).

CSRF is on, as in production (the templates need it): each client reads its session's token
once, so that the identification figure is the POST alone, not an extra GET. Rate limits are off.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import io
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/sourire_bench"
TARGET_RATIO = 5.0
STAFF_PASSWORD = "correct horse battery staple"
PATIENT_PASSWORD = "un mot de passe bien long"
SERVICE_CREATED = 40  # per practice: patients written by create_patient itself, for the parity check



def _words(text: str) -> list[str]:
    return text.split()


# Roughly in order of frequency in France; the weights below are Zipf-like on this order.
LAST_NAMES = _words("""Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel
Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau
Vincent Muller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand
Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand
Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas
Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron
Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey
Leclerc Payet Rolland Leclercq Guillaume Lecomte López Jean Dupuy Guillot Hubert Berger Carpentier
Sánchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam
Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin
Bailly Hervé Schneider Fernandez Le_Gall Collet Léger Bouvier Julien Prévost Millet Perrot Daniel
Le_Roux Cousin Germain Breton Besson Langlois Rémy Le_Goff Pelletier Lévêque Perrier Leblanc Barré
Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne
Grondin Poulain Tessier Chevallier Collin Chauvin Da_Silva Bouchet Gay Lemaître Bénard Maréchal
Humbert Reynaud Antoine Hoarau Perret Barthélémy Cordier Pichon Lejeune Gilbert Lamy Delaunay
Pasquier Carlier Laporte Nguyen N'Diaye D'Almeida Saint-Martin Le_Hénaff Béranger Thébault Séguin
Frémont Régnier Desprès Jégou Kerbrat Quéméner Lefèvre-Dupont Müller Dussère Côté Bélanger
Lhôte Château Benhamou Haddad Mansouri Traoré Diallo Pham Tran Kaya Yılmaz Ferreira Gonçalves
Rocha Moreira Kowalski Nowak Da_Costa De_Oliveira Dos_Santos Lelièvre Faivre Devaux Forestier""")
LAST_NAMES = [n.replace("_", " ") for n in LAST_NAMES]

GIRLS = _words("""Léa Chloé Emma Inès Jade Louise Zoé Manon Camille Léna Anaïs Maëlys Noémie Océane Clémence
Héloïse Éloïse Lina Juliette Alice Lola Rose Ambre Romane Margaux Mathilde Agathe Capucine Anaëlle
Maëlle Lou Mila Lucie Sarah Léonie Apolline Élise Céleste Éléonore Gaëlle Zoë Nina Eva Jeanne
Adèle Victoire Iris Lilou Maïwenn Solène Anne-Laure Marie-Lou Yasmine Aïcha Naïla""")
BOYS = _words("""Lucas Hugo Théo Enzo Mathéo Noé Raphaël Gabriel Louis Nathan Mathis Timothée Maël Loïc Jules
Arthur Tom Léo Ethan Nolan Clément Baptiste Antoine Maxime Alexandre Valentin Adrien Célestin Noah
Paul Victor Sacha Évan Gaël Aurélien Rémi Jérémy Benoît Côme Joachim Anatole Aymeric Jean-Baptiste
Pierre-Louis Titouan Elouan Matéo Ilyès Mohamed Yanis Adam Ayoub Kylian Maxence Néo""")
WOMEN = _words("""Stéphanie Nathalie Véronique Hélène Valérie Céline Aurélie Émilie Sandrine Isabelle Sophie
Karine Delphine Agnès Béatrice Élodie Virginie Laëtitia Séverine Cécile Mélanie Anne-Sophie
Marie-Hélène Géraldine Frédérique Bénédicte Christelle Fanny Julie Audrey Caroline Marion Amélie
Jennifer Nadia Fatima Ségolène Maud""")
MEN = _words("""Sébastien Frédéric Cédric Jérôme François Thierry Hervé Laurent Olivier Grégory Rémi Stéphane
Jean-François Jean-Michel Benoît Fabrice Pascal Nicolas Christophe Julien Guillaume Mickaël Yannick
Éric Gaëtan Loïc Franck Ludovic Anthony Régis Mehdi Karim Thibault Arnaud Gilles""")
CITIES = [("Lyon", "69003"), ("Villeurbanne", "69100"), ("Vénissieux", "69200"), ("Bron", "69500"),
          ("Saint-Étienne", "42000"), ("Écully", "69130"), ("Caluire-et-Cuire", "69300"),
          ("Sainte-Foy-lès-Lyon", "69110"), ("Décines-Charpieu", "69150"), ("Oullins", "69600")]
STREETS = ["rue de la République", "avenue Jean-Jaurès", "rue Mercière", "chemin des Érables",
           "boulevard des Belges", "place Bellecour", "rue Édouard-Herriot", "allée des Pénitents"]


def _ascii(s: str) -> str:
    from portal.core.text import name_key

    return name_key(s).replace(" ", "")


_E164: dict[str, str | None] = {}


def e164(raw: str) -> str | None:
    """portal.core.phones.normalize_phone, memoised: it is the slow part of building 20,000 files."""
    if raw not in _E164:
        from portal.core.phones import normalize_phone

        _E164[raw] = normalize_phone(raw)
    return _E164[raw]


class PhoneBook:
    """Unique, valid French mobile numbers (06 / 07), typed in the formats people use."""

    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def new(self) -> str:
        while True:
            digits = self.rng.choice("67") + "".join(self.rng.choice("0123456789") for _ in range(8))
            if "+33" + digits in self.used:
                continue
            typed = self.typed(digits)
            if e164(typed) != "+33" + digits:  # not a valid French mobile: draw again
                continue
            self.used.add("+33" + digits)
            return typed

    def typed(self, nine_digits: str) -> str:
        r = self.rng.random()
        d = "0" + nine_digits
        if r < 0.6:
            return " ".join(d[i:i + 2] for i in range(0, 10, 2))  # 06 12 34 56 78
        if r < 0.9:
            return d  # 0612345678
        return "+33 " + nine_digits[0] + " " + " ".join(nine_digits[i:i + 2] for i in range(1, 9, 2))


def _zipf_weights(n: int, s: float = 0.85) -> list[float]:
    return [1 / (rank ** s) for rank in range(1, n + 1)]


class Generator:
    """Families of one practice, as `create_patient` keyword arguments (minus practice/actor)."""

    def __init__(self, rng: random.Random, phones: PhoneBook, first_number: int, shared_phones: list[str] = ()):
        self.rng, self.phones, self.next_number = rng, phones, first_number
        self.surname_weights = _zipf_weights(len(LAST_NAMES))
        self.shared_phones = list(shared_phones)  # numbers of families also treated elsewhere

    def _surname(self) -> str:
        return self.rng.choices(LAST_NAMES, self.surname_weights)[0]

    def _stored(self, name: str) -> str:
        """Practices type names in various ways: 'Lefèvre', 'LEFÈVRE', with stray spaces."""
        r = self.rng.random()
        if r < 0.3:
            return name.upper()
        if r < 0.35:
            return f" {name} "
        return name

    def _number(self) -> str:
        self.next_number += 1
        return str(self.next_number)

    def _address(self) -> tuple[str, str, str]:
        city, cp = self.rng.choice(CITIES)
        return f"{self.rng.randint(1, 180)} {self.rng.choice(STREETS)}", cp, city

    def _email(self, first: str, last: str) -> str:
        return f" {_ascii(first)}.{_ascii(last)}@Example.FR " if self.rng.random() < 0.1 \
            else f"{_ascii(first)}.{_ascii(last)}@example.fr"

    def _status(self) -> tuple[str, date | None]:
        status = self.rng.choices(["consultation", "in_treatment", "retention", "finished"], [15, 45, 25, 15])[0]
        start = None if status == "consultation" else date(2016, 1, 1) + timedelta(days=self.rng.randint(0, 3400))
        return status, start

    def family(self) -> list[dict]:
        rng = self.rng
        if rng.random() < 0.18:  # an adult patient: their own number, no parents
            return [self._adult()]
        surname = self._surname()
        mother_first, father_first = rng.choice(WOMEN), rng.choice(MEN)
        mother_last = surname if rng.random() < 0.6 else self._surname()
        if self.shared_phones and rng.random() < 0.05:
            mother_mobile = self.shared_phones.pop()
        else:
            mother_mobile = self.phones.new()
        parents = [("Mme", mother_last, mother_first, mother_mobile, "F")]
        if rng.random() < 0.7:
            parents.append(("M.", surname, father_first, self.phones.new() if rng.random() < 0.92 else None, "M"))
        if rng.random() < 0.35:  # father first on the file
            parents.reverse()
        street, cp, city = self._address()
        other_financial = None
        if rng.random() < 0.05:  # a grandparent pays
            other_financial = ("Mme", self._surname(), rng.choice(WOMEN), self.phones.new(), "F")
        n_children = rng.choices([1, 2, 3, 4], [55, 33, 10, 2])[0]
        compound = rng.random() < 0.05 and len(parents) == 2 and parents[0][1] != parents[1][1]
        children = []
        used_first = set()
        for _ in range(n_children):
            girl = rng.random() < 0.55
            first = rng.choice(GIRLS if girl else BOYS)
            if first in used_first:
                continue
            used_first.add(first)
            birth = date(2005, 1, 1) + timedelta(days=rng.randint(0, 365 * 15))
            last = f"{parents[0][1]}-{parents[1][1]}" if compound else surname
            status, start = self._status()
            responsibles = []
            for role, (civ, plast, pfirst, pmobile, _sex) in zip(("parent1", "parent2"), parents):
                responsibles.append({"role": role, "civility": civ, "last_name": self._stored(plast),
                                     "first_name": pfirst, "mobile": pmobile,
                                     "email": self._email(pfirst, plast) if rng.random() < 0.8 else "",
                                     "address": f"{street}, {cp} {city}"})
            r = rng.random()
            if other_financial:
                civ, plast, pfirst, pmobile, _sex = other_financial
                responsibles.append({"role": "financial", "civility": civ, "last_name": plast,
                                     "first_name": pfirst, "mobile": pmobile, "email": "", "address": ""})
            elif r < 0.6:  # the financial responsible is usually one of the parents, repeated
                civ, plast, pfirst, pmobile, _sex = parents[0] if r < 0.48 else parents[-1]
                responsibles.append({"role": "financial", "civility": civ, "last_name": plast,
                                     "first_name": pfirst, "mobile": pmobile, "email": "",
                                     "address": f"{street}, {cp} {city}"})
            own_mobile = self.phones.new() if birth.year <= 2011 and rng.random() < 0.35 else None
            children.append({
                "number": self._number(), "last_name": self._stored(last), "first_name": first,
                "birth_date": birth, "sex": "F" if girl else "M", "mobile": own_mobile, "email": "",
                "address": street, "postal_code": cp, "city": city, "treatment_start": start,
                "file_status": status, "responsibles": responsibles,
                "do_not_share_online": rng.random() < 0.02,
            })
        return children

    def _adult(self) -> dict:
        rng = self.rng
        woman = rng.random() < 0.65
        first, last = rng.choice(WOMEN if woman else MEN), self._surname()
        street, cp, city = self._address()
        status, start = self._status()
        return {
            "number": self._number(), "last_name": self._stored(last), "first_name": first,
            "birth_date": date(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 44)),
            "sex": "F" if woman else "M", "mobile": self.phones.new() if rng.random() < 0.95 else None,
            "email": self._email(first, last), "address": street, "postal_code": cp, "city": city,
            "treatment_start": start, "file_status": status, "responsibles": [],
            "do_not_share_online": rng.random() < 0.02,
        }

    def patients(self, count: int) -> list[dict]:
        out: list[dict] = []
        while len(out) < count:
            out.extend(self.family())
        return out[:count]



def patient_row(practice_id: int, s: dict, now: datetime) -> dict:
    from portal.core.text import name_key
    from portal.patients.models import FileStatus

    return {
        "practice_id": practice_id, "number": s["number"], "civility": "",
        "last_name": s["last_name"].strip(), "first_name": s["first_name"].strip(),
        "last_name_key": name_key(s["last_name"]), "first_name_key": name_key(s["first_name"]),
        "sex": s["sex"], "birth_date": s["birth_date"],
        "mobile": e164(s["mobile"]) if s["mobile"] else None,
        "email": s["email"].strip().lower(), "address": s["address"], "postal_code": s["postal_code"],
        "city": s["city"], "treatment_start": s["treatment_start"], "file_status": FileStatus(s["file_status"]),
        "do_not_share_online": s["do_not_share_online"], "remarks": "", "created_at": now, "updated_at": now,
    }


def responsible_row(practice_id: int, patient_id: int, d: dict) -> dict:
    from portal.patients.models import ResponsibleRole

    return {
        "practice_id": practice_id, "patient_id": patient_id, "role": ResponsibleRole(d["role"]),
        "civility": d.get("civility", ""), "last_name": d.get("last_name", ""),
        "first_name": d.get("first_name", ""),
        "mobile": e164(d["mobile"]) if d.get("mobile") else None,
        "email": d.get("email", "").strip().lower(), "address": d.get("address", ""),
    }


def _service_kwargs(s: dict) -> dict:
    from portal.patients.models import FileStatus

    return {**s, "file_status": FileStatus(s["file_status"])}


def load_practice(practice_id: int, specs: list[dict]) -> None:
    """The first SERVICE_CREATED patients through create_patient (with its audit row), the rest
    by bulk insert of the very rows the service would write; then check both agree."""
    from sqlalchemy import insert, select

    from portal.core.audit import Actor
    from portal.core.db import commit, utcnow
    from portal.extensions import db
    from portal.patients.models import Patient, Responsible
    from portal.patients.services import create_patient

    operator = Actor.operator()
    for s in specs[:SERVICE_CREATED]:
        create_patient(practice_id=practice_id, actor=operator, **_service_kwargs(s))
    commit()

    conn = db.session.connection()
    now = utcnow()
    rest = specs[SERVICE_CREATED:]
    for i in range(0, len(rest), 2000):
        conn.execute(insert(Patient.__table__), [patient_row(practice_id, s, now) for s in rest[i:i + 2000]])
    ids = dict(conn.execute(select(Patient.number, Patient.id).where(Patient.practice_id == practice_id)).all())
    resp_rows = [responsible_row(practice_id, ids[s["number"]], d) for s in rest for d in s["responsibles"]]
    for i in range(0, len(resp_rows), 4000):
        conn.execute(insert(Responsible.__table__), resp_rows[i:i + 4000])
    commit()
    _check_parity(practice_id, specs[:SERVICE_CREATED], ids)


def _check_parity(practice_id: int, specs: list[dict], ids: dict[str, int]) -> None:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.patients.models import Patient, Responsible

    skip = {"id", "created_at", "updated_at"}
    pcols = [c for c in Patient.__table__.c if c.name not in skip]
    rcols = [c for c in Responsible.__table__.c if c.name != "id"]
    now = datetime.now(UTC)
    for s in specs:
        pid = ids[s["number"]]
        stored = db.session.execute(select(*pcols).where(Patient.id == pid)).one()._asdict()
        built = {k: v for k, v in patient_row(practice_id, s, now).items() if k not in skip}
        if stored != built:
            raise SystemExit(f"bulk row differs from create_patient's for {s['number']}:\n{stored}\n{built}")
        stored_r = sorted((r._asdict() for r in db.session.execute(
            select(*rcols).where(Responsible.patient_id == pid))), key=lambda r: r["role"].value)
        built_r = sorted((responsible_row(practice_id, pid, d) for d in s["responsibles"]),
                         key=lambda r: r["role"].value)
        if stored_r != built_r:
            raise SystemExit(f"bulk responsibles differ from create_patient's for {s['number']}")



def add_accounts(rng: random.Random, practices: list[tuple[int, list[dict]]], share: float = 0.4) -> set[tuple[int, str]]:
    """Portal accounts: `share` of the numbers on the files (patients' and responsibles' mobiles)
    have signed in once and chose a password. One hash for all (argon2 at bench cost; it is never
    verified by the benches' cases). Bulk inserted, committed. Returns the (practice id, E.164)
    pairs that have an account. Shared by the benches."""
    from sqlalchemy import insert

    from portal.accounts.models import PatientAccount
    from portal.accounts.passwords import hash_password
    from portal.core.db import commit, utcnow
    from portal.extensions import db

    pw_hash = hash_password(PATIENT_PASSWORD)
    now = utcnow()
    with_password: set[tuple[int, str]] = set()
    account_rows = []
    for pid, specs in practices:
        numbers = sorted({e164(m) for s in specs
                          for m in [s["mobile"], *(d["mobile"] for d in s["responsibles"])] if m})
        for phone in numbers:
            if rng.random() < share:
                with_password.add((pid, phone))
                account_rows.append({"practice_id": pid, "phone": phone, "password_hash": pw_hash,
                                     "active": True, "failed_passwords": 0, "locked_until": None,
                                     "last_signin_at": now, "locale": "fr", "created_at": now})
    conn = db.session.connection()
    for i in range(0, len(account_rows), 4000):
        conn.execute(insert(PatientAccount.__table__), account_rows[i:i + 4000])
    commit()
    return with_password


def database_url(backend: str, args, tmp: str, prefix: str) -> str:
    """Where a run builds its database: a file in the run's temporary folder (or one kept after
    the run with --keep) for SQLite, --pg-url for PostgreSQL."""
    if backend != "sqlite":
        return args.pg_url
    db_dir = Path(tempfile.mkdtemp(prefix=prefix)) if getattr(args, "keep", False) else Path(tmp)
    return f"sqlite:///{db_dir / 'bench.db'}"


def migrated_app(url: str, files_dir: str):
    """A fresh database at `url` (tests.database.fresh_database), the bench app on it, and the
    real Alembic migrations applied (their output shown only if they fail)."""
    from flask_migrate import upgrade

    from tests.database import fresh_database

    fresh_database(url)
    app = bench_app(url, files_dir)
    quiet = io.StringIO()
    with app.app_context(), contextlib.redirect_stderr(quiet):
        try:
            upgrade()  # the real migrations
        except Exception:
            sys.stderr.write(quiet.getvalue())
            raise
    return app


def bench_app(url: str, files_dir: str):
    from portal import create_app

    app = create_app({
        "SOURIRE_ENV": "testing",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789abcdef",
        "DATABASE_URL": url,
        "REDIS_URL": "",  # jobs in-process
        "RATELIMIT_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "BASE_URL": "https://bench.test",
        "FILES_DIR": files_dir,
        "LOG_LEVEL": "WARNING",
        "SERVER_NAME": None,
    })

    @app.get("/bench/bare")
    def bench_bare():  # bench-only: the framework baseline, no database, no session
        return "ok"

    return app


@dataclass
class DataSet:
    practice_id: int
    other_practice_id: int
    staff_email: str
    totp_secret: str
    identify: list[dict] = field(default_factory=list)     # form data + expected number
    mobiles: list[str] = field(default_factory=list)       # parent mobiles, national format
    prefixes: list[str] = field(default_factory=list)      # 3-4 first letters of a last name
    full_names: list[str] = field(default_factory=list)    # "nom prénom"
    missing_numbers: list[str] = field(default_factory=list)
    account_phones: list[str] = field(default_factory=list)  # E.164 numbers with an account, measured practice
    counts: dict = field(default_factory=dict)


def build_data(app, n_patients: int, n_other: int, seed: int) -> DataSet:
    import pyotp
    from sqlalchemy import func, select, text

    from portal.accounts.models import PatientAccount, Role
    from portal.accounts.staff_admin import create_staff
    from portal.core.audit import Actor
    from portal.core.db import commit, utcnow
    from portal.core.phones import display_phone
    from portal.core.services import create_practice
    from portal.core.text import name_key
    from portal.extensions import db
    from portal.patients.models import Patient, Responsible

    rng = random.Random(seed)
    phones = PhoneBook(rng)
    main_specs = Generator(rng, phones, 10000).patients(n_patients)
    main_parent_phones = [d["mobile"] for s in main_specs for d in s["responsibles"]
                          if d["role"] == "parent1" and d["mobile"]]
    shared = rng.sample(main_parent_phones, min(len(main_parent_phones), max(1, n_other // 10)))
    other_specs = Generator(rng, phones, 50000, shared).patients(n_other)

    with app.app_context():
        operator = Actor.operator()
        p1 = create_practice(name="Cabinet d'orthodontie des Tilleuls", slug="tilleuls", actor=operator,
                             city="Lyon", postal_code="69003")
        p2 = create_practice(name="Centre orthodontique Bellevue", slug="bellevue", actor=operator,
                             city="Villeurbanne", postal_code="69100")
        commit()
        staff = create_staff(practice=p1, email="secretariat@tilleuls.example", role=Role.secretary,
                             first_name="Élodie", last_name="Bénard", password=STAFF_PASSWORD, actor=operator)
        secret = pyotp.random_base32()
        staff.totp_key, staff.totp_confirmed_at = secret, utcnow()
        commit()
        ds = DataSet(practice_id=p1.id, other_practice_id=p2.id, staff_email=staff.email, totp_secret=secret)

        load_practice(p1.id, main_specs)
        load_practice(p2.id, other_specs)

        with_password = add_accounts(rng, [(p1.id, main_specs), (p2.id, other_specs)])

        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            commit()

        ds.counts = {
            "patients": db.session.scalar(select(func.count(Patient.id)).where(Patient.practice_id == p1.id)),
            "other_patients": db.session.scalar(select(func.count(Patient.id)).where(Patient.practice_id == p2.id)),
            "responsibles": db.session.scalar(select(func.count(Responsible.id))),
            "accounts": db.session.scalar(select(func.count(PatientAccount.id))),
        }
        db.session.remove()

    # Identification samples: a patient, one of their numbers whose account has a password, and
    # the four entries matching exactly one patient in the whole database (identify is global).
    matches: dict[tuple, int] = {}
    linked = []
    for pid, specs in ((p1.id, main_specs), (p2.id, other_specs)):
        for s in specs:
            numbers = {e164(m) for m in [s["mobile"], *(d["mobile"] for d in s["responsibles"])] if m}
            for phone in numbers:
                key = (phone, name_key(s["last_name"]), name_key(s["first_name"]), s["birth_date"])
                matches[key] = matches.get(key, 0) + 1
                linked.append((pid, phone, key, s))
    candidates = [(phone, key, s) for pid, phone, key, s in linked
                  if (pid, phone) in with_password and matches[key] == 1 and not s["do_not_share_online"]]
    for phone, key, s in rng.sample(candidates, min(len(candidates), 2000)):
        last = s["last_name"].strip()
        typed_last = rng.choice([last, last.upper(), name_key(last), last.lower()])
        typed_phone = rng.choice([display_phone(phone), display_phone(phone).replace(" ", ""), phone])
        ds.identify.append({"phone": typed_phone, "last_name": typed_last, "first_name": s["first_name"],
                            "birth_date": s["birth_date"].isoformat(), "_number": s["number"]})

    # Staff searches, in the measured practice only.
    parents = [d["mobile"] for s in main_specs for d in s["responsibles"] if d["role"] == "parent1" and d["mobile"]]
    ds.mobiles = [display_phone(e164(m)) for m in rng.sample(parents, min(len(parents), 2000))]
    for s in rng.sample(main_specs, min(len(main_specs), 2000)):
        last = s["last_name"].strip()
        ds.prefixes.append(last[:rng.choice([3, 4])])
        # "nom prénom" only for one-word last names: search_patients does not find
        # "Da Silva Chloé" or "Martin-Durand Léo" (it splits the last name), see bench/README.md.
        if " " not in name_key(last):
            ds.full_names.append(f"{last} {s['first_name']}")
    ds.missing_numbers = [str(rng.randint(900000, 999999)) for _ in range(200)]
    ds.account_phones = [phone for pid, phone in sorted(with_password) if pid == p1.id]
    rng.shuffle(ds.account_phones)
    ds.account_phones = ds.account_phones[:2000]
    return ds



@dataclass
class Case:
    label: str
    kind: str  # baseline, page, reference, service
    run: Callable[[Any], tuple[int, str | None]]  # arg -> (elapsed ns, error or None)
    args: list
    group: str = ""  # pages and the service call they wrap share a group
    times: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def arg(self, i: int):
        return self.args[i % len(self.args)]


def page_case(label, kind, call, args, check, group="") -> Case:
    def run(arg):
        t0 = time.perf_counter_ns()
        resp = call(arg)
        resp.get_data()
        elapsed = time.perf_counter_ns() - t0
        err = check(resp, arg)
        resp.close()
        return elapsed, err
    return Case(label, kind, run, args, group)


def service_case(app, label, fn, args, check, group) -> Case:
    from portal.extensions import db

    def run(arg):
        ctx = app.app_context()
        ctx.push()
        try:
            t0 = time.perf_counter_ns()
            result = fn(arg)
            elapsed = time.perf_counter_ns() - t0
            err = check(result, arg)
        finally:
            db.session.remove()
            ctx.pop()
        return elapsed, err
    return Case(label, "service", run, args, group)


def csrf_token(client, url: str) -> str:
    """The CSRF token of `client`'s session, read from the page at `url` (a hidden field or the
    layout's meta tag). It lasts as long as the session (WTF_CSRF_TIME_LIMIT=None), so a case
    reads it once, not before every POST."""
    import re

    page = client.get(url).get_data(as_text=True)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or \
        re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    if m is None:
        raise SystemExit(f"no CSRF token in {url}")
    return m.group(1)


def staff_client(app, ds: DataSet):
    """Sign in as the staff user through the real forms (password, then TOTP)."""
    import pyotp

    client = app.test_client()

    def post(url, data):
        return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})

    r = post("/console/connexion", {"email": ds.staff_email, "password": STAFF_PASSWORD})
    assert r.status_code == 303 and r.headers["Location"].endswith("/console/connexion/code"), r.status_code
    r = post("/console/connexion/code", {"code": pyotp.TOTP(ds.totp_secret).now()})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    r = client.get("/console/patients/")
    assert r.status_code == 200, f"staff not signed in: {r.status_code}"
    return client


def make_cases(app, ds: DataSet) -> list[Case]:
    from portal.accounts.patient_signin import identify
    from portal.core.audit import Actor
    from portal.patients.services import linked_patients, search_patients

    anon, patient, staff = app.test_client(), app.test_client(), staff_client(app, ds)
    anonymous = Actor("anonymous", ip="127.0.0.1")

    def status(code, location_end=None):
        def check(resp, arg):
            if resp.status_code != code:
                return f"{resp.status_code} for {arg!r}"
            if location_end and not resp.headers.get("Location", "").endswith(location_end):
                return f"redirect to {resp.headers.get('Location')} for {arg!r}"
            return None
        return check

    def found(result, arg):
        return None if result else f"no patient found for {arg!r}"

    def search(q):
        return staff.get("/console/patients/", query_string={"q": q})

    live = {"HX-Request": "true", "HX-Target": "patients-results",
            "HX-Current-URL": "http://localhost/console/patients/"}

    def live_search(q):  # what the search box sends as the staff member types: the results fragment only
        return staff.get("/console/patients/", query_string={"q": q}, headers=live)

    def fragment(resp, arg):
        err = status(200)(resp, arg)
        return err or (None if resp.get_data().lstrip().startswith(b"<section") else f"not a fragment for {arg!r}")

    def identified(patient_row, arg):
        return None if patient_row.number == arg["_number"] else f"wrong patient for {arg!r}"

    token = csrf_token(patient, "/connexion")  # read once: the figure is the POST alone
    form = [{**{k: v for k, v in a.items() if not k.startswith("_")}, "csrf_token": token} for a in ds.identify]
    pid = ds.practice_id

    def search_service(q):
        return search_patients(practice_id=pid, query=q)

    return [
        page_case("bare route  GET /bench/bare", "baseline", lambda _: anon.get("/bench/bare"), [None],
                  status(200)),
        page_case("identification  POST /connexion", "page", lambda a: patient.post("/connexion", data=a), form,
                  status(303, "/connexion/mot-de-passe"), "identify"),
        service_case(app, "  service identify()", lambda a: identify(
            phone=a["phone"], last_name=a["last_name"], first_name=a["first_name"],
            birth_date=date.fromisoformat(a["birth_date"]), actor=anonymous), ds.identify, identified, "identify"),
        service_case(app, "  service linked_patients()", lambda phone: linked_patients(
            SimpleNamespace(practice_id=pid, phone=phone)), ds.account_phones, lambda result, arg: None, "linked"),
        page_case("search by mobile  GET ?q=06 12 ..", "page", search, ds.mobiles, status(200), "mobile"),
        page_case("  live search fragment (htmx)", "page", live_search, ds.mobiles, fragment, "mobile"),
        service_case(app, "  service search_patients()", search_service, ds.mobiles, found, "mobile"),
        page_case("search by prefix  GET ?q=Lef", "page", search, ds.prefixes, status(200), "prefix"),
        page_case("  live search fragment (htmx)", "page", live_search, ds.prefixes, fragment, "prefix"),
        service_case(app, "  service search_patients()", search_service, ds.prefixes, found, "prefix"),
        page_case("search nom prénom  GET ?q=Dupont Léa", "page", search, ds.full_names, status(200), "name"),
        page_case("  live search fragment (htmx)", "page", live_search, ds.full_names, fragment, "name"),
        service_case(app, "  service search_patients()", search_service, ds.full_names, found, "name"),
        page_case("ref: console page, empty result", "reference", search, ds.missing_numbers, status(200)),
    ]


def measure(cases: list[Case], rounds: int, warmup: int, seed: int) -> None:
    rng = random.Random(seed)
    order = list(cases)
    for i in range(warmup):
        for case in order:
            _, err = case.run(case.arg(i))
            if err:
                raise SystemExit(f"warm-up failed on {case.label.strip()}: {err}")
    gc.collect()
    for i in range(rounds):
        rng.shuffle(order)  # round-robin, in a new order each round: every case shares the noise
        for case in order:
            elapsed, err = case.run(case.arg(warmup + i))
            case.times.append(elapsed)
            if err:
                case.errors.append(err)


def p95(values: list[float]) -> float:
    s = sorted(values)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def report(backend: str, version: str, ds: DataSet, cases: list[Case], rounds: int, warmup: int,
           load_seconds: float) -> str:
    ms = [[t / 1e6 for t in c.times] for c in cases]
    med = [statistics.median(v) for v in ms]
    bare = med[0]
    width = max(len(c.label) for c in cases) + 2
    lines = [
        (f"== {backend} {version}: {ds.counts['patients']:,} patients in the measured practice "
         f"(+{ds.counts['other_patients']:,} in a second one), {ds.counts['responsibles']:,} responsibles, "
         f"{ds.counts['accounts']:,} portal accounts; loaded in {load_seconds:.0f} s"),
        f"   {rounds} measured rounds after {warmup} warm-up rounds, cases interleaved in a shuffled order",
        "",
        f"{'case':<{width}}{'n':>6}{'median ms':>12}{'p95 ms':>10}{'× bare':>9}",
        "-" * (width + 37),
    ]
    for c, v, m in zip(cases, ms, med):
        lines.append(f"{c.label:<{width}}{len(v):>6}{m:>12.3f}{p95(v):>10.3f}{m / bare:>9.1f}")
        if c.errors:
            lines.append(f"{'':<{width}}  !! {len(c.errors)} unexpected responses, e.g. {c.errors[0]}")
    lines.append("")
    ref = next(m for c, m in zip(cases, med) if c.kind == "reference")
    parent = ""
    for c, m in zip(cases, med):
        if c.kind != "page":
            continue
        if not c.label.startswith(" "):
            parent = c.label.split("  ")[0]
        name = c.label.strip() if not c.label.startswith(" ") else f"{parent}, {c.label.strip()}"
        svc = next((sm for sc, sm in zip(cases, med) if sc.kind == "service" and sc.group == c.group), None)
        query = f"; the query (service call) is {svc:.2f} ms, {svc / m:.0%} of it" if svc is not None else ""
        verdict = "within 5×" if m / bare <= TARGET_RATIO else "OVER 5×"
        lines.append(f"{verdict:>9}  {name}: {m / bare:.1f}× the bare route{query}")
    lines.append(f"{'':>9}  (for scale: a signed-in console page with an empty result is {ref / bare:.1f}× "
                 f"the bare route by itself)")
    return "\n".join(lines) + "\n"



def explain(app, ds: DataSet) -> str:

    from portal.accounts.patient_signin import identify
    from portal.core.audit import Actor
    from portal.patients.services import linked_patients, search_patients

    a = ds.identify[0]
    calls = [
        ("identify()", lambda: identify(phone=a["phone"], last_name=a["last_name"], first_name=a["first_name"],
                                        birth_date=date.fromisoformat(a["birth_date"]), actor=Actor("anonymous"))),
        ("linked_patients()", lambda: linked_patients(SimpleNamespace(practice_id=ds.practice_id,
                                                                       phone=ds.account_phones[0]))),
        ("search_patients(mobile)", lambda: search_patients(practice_id=ds.practice_id, query=ds.mobiles[0])),
        ("search_patients(prefix)", lambda: search_patients(practice_id=ds.practice_id, query=ds.prefixes[0])),
        ("search_patients(nom prénom)", lambda: search_patients(practice_id=ds.practice_id, query=ds.full_names[0])),
    ]
    return explain_calls(app, calls)


def explain_calls(app, calls) -> str:
    """The plan of every SELECT each call sends: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN
    QUERY PLAN on SQLite. Shared by the benches' --explain."""
    from sqlalchemy import event

    from portal.extensions import db

    out = []
    with app.app_context():
        engine = db.engine
        pg = engine.dialect.name == "postgresql"
        for label, call in calls:
            captured: list[tuple[str, Any]] = []

            def grab(conn, cursor, statement, parameters, context, executemany, captured=captured):
                if statement.lstrip().upper().startswith("SELECT"):
                    captured.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", grab)
            try:
                call()
            finally:
                event.remove(engine, "before_cursor_execute", grab)
                db.session.rollback()
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                for statement, params in captured:
                    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
                    cur.execute(prefix + statement, params)
                    plan = "\n".join(("    " + str(r[0])) if pg else f"    {r[1]:>3} {r[2]:>3} {r[3]}"
                                     for r in cur.fetchall())
                    out.append(f"-- {label}\n{statement}\n  params: {params}\n{plan}\n")
                raw.rollback()
            finally:
                raw.close()
    return "\n".join(out)


def run_backend(backend: str, args, report_to: Path) -> None:
    from sqlalchemy import text

    from portal.extensions import db

    with tempfile.TemporaryDirectory(prefix="sourire-bench-") as tmp:
        url = database_url(backend, args, tmp, "sourire-bench-db-")
        print(f"[{backend}] building a fresh database and loading data ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        app = migrated_app(url, str(Path(tmp) / "files"))
        ds = build_data(app, args.patients, args.second_practice, args.seed)
        load_seconds = time.perf_counter() - started
        with app.app_context():
            version = db.session.scalar(text("select sqlite_version()" if backend == "sqlite"
                                             else "show server_version"))
            db.session.remove()
        print(f"[{backend}] loaded in {load_seconds:.0f} s; measuring ...", file=sys.stderr, flush=True)

        cases = make_cases(app, ds)
        warmup = max(20, args.requests // 10)
        measure(cases, args.requests, warmup, args.seed)
        text_out = report("SQLite" if backend == "sqlite" else "PostgreSQL", version, ds, cases,
                          args.requests, warmup, load_seconds)
        if args.explain:
            text_out += "\n-- query plans --\n" + explain(app, ds)
        print(text_out, flush=True)
        with report_to.open("a", encoding="utf-8") as fh:
            fh.write(text_out + "\n")
        if args.keep and backend == "sqlite":
            print(f"[sqlite] database kept at {url}", file=sys.stderr)
        with app.app_context():
            db.engine.dispose()


def header(args, title: str = "identification and staff search") -> str:
    """The run's first lines: what, when, which commit, how loaded the machine was."""
    def git(*cmd):
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=10,
                                  check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"
    dirty = " (uncommitted changes)" if git("status", "--porcelain", "--", "portal", "migrations") else ""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"Sourire bench: {title} vs a bare route — "
            f"{datetime.now().isoformat(timespec='seconds')}\n"
            f"commit {git('rev-parse', '--short', 'HEAD')}{dirty}; Python {platform.python_version()}; "
            f"{os.cpu_count()} CPUs; load average {load}\n"
            f"target: every page within {TARGET_RATIO:g}× the bare route's median\n\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--patients", type=int, default=20000, help="patients in the measured practice")
    parser.add_argument("--second-practice", type=int, default=3000, help="patients in a second practice")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per case")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL_DEFAULT))
    parser.add_argument("--explain", action="store_true", help="append the query plans of the service calls")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite database file for inspection")
    parser.add_argument("--report-to", help=argparse.SUPPRESS)  # used when a backend runs in a child
    args = parser.parse_args()

    if args.report_to:
        run_backend(args.db, args, Path(args.report_to))
        return
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    report_to = results / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-identify_and_search.txt"
    head = header(args)
    print(head, end="", flush=True)
    report_to.write_text(head, encoding="utf-8")
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for backend in backends:
        # Each backend in its own process: a clean heap, one app per process, no shared state.
        cmd = [sys.executable, __file__, "--db", backend, "--patients", str(args.patients),
               "--second-practice", str(args.second_practice), "--requests", str(args.requests),
               "--seed", str(args.seed), "--pg-url", args.pg_url, "--report-to", str(report_to)]
        cmd += ["--explain"] * args.explain + ["--keep"] * args.keep
        if subprocess.run(cmd, check=False).returncode != 0:
            with report_to.open("a", encoding="utf-8") as fh:
                fh.write(f"== {backend}: the run failed (see its output)\n")
            raise SystemExit(f"{backend} run failed")
    print(f"saved to {report_to.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
