from __future__ import annotations

from django.urls import path

from . import views

app_name = "monographs"
urlpatterns = [
    path("", views.medicine_list, name="medicine-list"),
    path("<slug:slug>/", views.medicine_detail, name="medicine-detail"),
    path("<slug:slug>/preview/", views.medicine_preview, name="medicine-preview"),
]
