from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("refresh/", views.refresh, name="refresh"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("thresholds/", views.threshold_edit, name="thresholds"),
]
