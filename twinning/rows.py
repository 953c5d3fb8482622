"""Helpers of the pages that draw rows from column values rather than model instances."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse


def url_prefix(name: str) -> str:
    """The URL of a ``<pk>/``-ending pattern without its pk ("/branches/"): a list's rows append
    their pk to it instead of reversing the pattern once each."""
    return reverse(name, args=[0]).removesuffix("0/")


def choice_labels(choices: Iterable[tuple]) -> dict:
    """{value: label} of choices, each label translated once in the active language rather than
    once per row."""
    return {value: str(label) for value, label in choices}
