"""The desk's pages, mounted at /desk/ (docs/workbench.md)."""

from django.urls import path

from workbench import views

urlpatterns = [
    path("", views.desk, name="desk"),
    path("supervisor/", views.supervisor, name="desk-supervisor"),
    path("customers/<int:customer_id>/screen-pop/", views.screen_pop_fragment, name="desk-screen-pop"),
]
