from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("refresh/", views.refresh, name="refresh"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("thresholds/", views.threshold_edit, name="thresholds"),
    path("audit/", views.audit_list, name="audit"),
    path("assessment/", views.assessment_index, name="assessment"),
    path("assessment/weights/", views.assessment_weights, name="assessment_weights"),
    path("assessment/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessment/<int:pk>/download/", views.assessment_download, name="assessment_download"),
]
