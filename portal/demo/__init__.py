"""Demo data: a practice, its team and a family, to try Sourire on a fresh machine."""
