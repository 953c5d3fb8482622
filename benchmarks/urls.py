"""The project's URLs plus the bench's trivial page (used only while ``bench`` runs)."""

from django.urls import include, path

from .floors import trivial_view

urlpatterns = [
    path("__bench__/trivial/", trivial_view, name="bench_trivial"),
    path("", include("twinning.urls")),
]
