from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("", views.index, name="index"),
    path("pairings/<int:pairing_pk>/theme-days/new/", views.theme_day_create, name="theme_day_create"),
    path("theme-days/<int:pk>/", views.theme_day_detail, name="theme_day_detail"),
    path("theme-days/<int:pk>/edit/", views.theme_day_update, name="theme_day_update"),
    path("theme-days/<int:pk>/confirm/", views.theme_day_confirm, name="theme_day_confirm"),
    path("theme-days/<int:pk>/return/", views.theme_day_return, name="theme_day_return"),
    path("photos/<int:pk>/", views.theme_day_photo, name="theme_day_photo"),
    path("photos/<int:pk>/original/", views.theme_day_photo, {"variant": "original"}, name="theme_day_photo_original"),
    path("attachments/<int:pk>/", views.theme_day_attachment, name="theme_day_attachment"),
    path("joint/", views.joint_activity_list, name="joint_activity_list"),
    path("pairings/<int:pairing_pk>/joint/new/", views.joint_activity_create, name="joint_activity_create"),
    path("compliance/", views.compliance, name="compliance"),
    path("tasks/", views.task_list_index, name="task_list_index"),
    path("tasks/new/", views.task_list_create, name="task_list_create"),
    path("tasks/<int:pk>/", views.task_list_detail, name="task_list_detail"),
    path("tasks/<int:pk>/carry-over/", views.task_list_carry_over, name="task_list_carry_over"),
    path("tasks/<int:pk>/pairings/<int:pairing_pk>/", views.task_report, name="task_report"),
    path("evidence/<int:pk>/", views.task_evidence, name="task_evidence"),
    path("evidence/<int:pk>/original/", views.task_evidence, {"variant": "original"}, name="task_evidence_original"),
]
