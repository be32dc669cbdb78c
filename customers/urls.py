from django.urls import path

from customers import apis

urlpatterns = [
    path("", apis.CustomerSearchApi.as_view(), name="api-customers"),
    path("<int:customer_id>/", apis.CustomerDetailApi.as_view(), name="api-customer"),
    path("<int:customer_id>/timeline/", apis.CustomerTimelineApi.as_view(), name="api-customer-timeline"),
]
