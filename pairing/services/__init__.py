"""Writes of the pairing app, split by sub-domain: ``registry`` (branches, grades, optimisation), ..."""
