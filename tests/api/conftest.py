"""Helpers for the JSON API tests (the world is the shared one: tests/world.py)."""

from __future__ import annotations

from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
