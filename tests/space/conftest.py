"""The agenda's `week` fixture: a practitioner with a working week."""
from tests.agenda.conftest import week  # noqa: F401
