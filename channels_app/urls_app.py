from django.urls import path

from channels_app import apis_app

urlpatterns = [
    path("uploads/", apis_app.BackendUploadsApi.as_view(), name="api-app-uploads"),
    path("me/uploads/", apis_app.MyUploadsApi.as_view(), name="api-app-my-uploads"),
]
