from django.urls import path

from .views import registry

app_name = "pairing"

urlpatterns = [
    path("branches/", registry.branch_list, name="branch_list"),
    path("branches/new/", registry.branch_create, name="branch_create"),
    path("branches/grade/", registry.branch_grade_bulk, name="branch_grade_bulk"),
    path("branches/<int:pk>/", registry.branch_detail, name="branch_detail"),
    path("branches/<int:pk>/edit/", registry.branch_update, name="branch_update"),
    path("branches/<int:pk>/optimisations/", registry.branch_optimisation_add, name="branch_optimisation_add"),
]
