from django.urls import path

from . import views

app_name = "volunteers"

urlpatterns = [
    path("", views.index, name="index"),
    path("communities/", views.community_list, name="community_list"),
    path("communities/<int:pk>/", views.community_detail, name="community_detail"),
    path("communities/<int:community_pk>/projects/new/", views.project_create, name="project_create"),
    path("communities/<int:community_pk>/wishes/new/", views.wish_create, name="wish_create"),
    path("communities/<int:community_pk>/whistles/new/", views.whistle_create, name="whistle_create"),
    path("register/", views.register_member, name="register_member"),
    path("register/unit/", views.register_unit, name="register_unit"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("registrations/<int:pk>/agreement/", views.registration_agreement, name="registration_agreement"),
    path("demands/", views.demand_list, name="demand_list"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/claim/", views.project_claim, name="project_claim"),
    path("projects/<int:pk>/assign/", views.project_assign, name="project_assign"),
    path("projects/<int:pk>/close/", views.project_close, name="project_close"),
    path("wishes/<int:pk>/", views.wish_detail, name="wish_detail"),
    path("wishes/<int:pk>/claim/", views.wish_claim, name="wish_claim"),
    path("wishes/<int:pk>/fulfil/", views.wish_fulfil, name="wish_fulfil"),
    path("wishes/<int:pk>/confirm/", views.wish_confirm, name="wish_confirm"),
    path("wishes/<int:pk>/photo/", views.wish_photo, name="wish_photo"),
    path("whistles/<int:pk>/", views.whistle_detail, name="whistle_detail"),
    path("whistles/<int:pk>/respond/", views.whistle_respond, name="whistle_respond"),
    path("whistles/<int:pk>/close/", views.whistle_close, name="whistle_close"),
    path("hours/new/", views.hours_create, name="hours_create"),
    path("hours/<int:pk>/decide/", views.hours_decide, name="hours_decide"),
    path("me/", views.my_record, name="my_record"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/certificate/", views.member_certificate, name="member_certificate"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
]
