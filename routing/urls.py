from django.urls import path

from routing import apis

urlpatterns = [
    path("agent/", apis.AgentDeskApi.as_view(), name="api-agent-desk"),
    path("agent/state/", apis.AgentStateApi.as_view(), name="api-agent-state"),
    path("offers/<int:offer_id>/accept/", apis.OfferAcceptApi.as_view(), name="api-offer-accept"),
    path("offers/<int:offer_id>/decline/", apis.OfferDeclineApi.as_view(), name="api-offer-decline"),
    path("conversations/<int:conversation_id>/transfer/", apis.TransferApi.as_view(), name="api-conversation-transfer"),
    path("queues/", apis.QueuesApi.as_view(), name="api-queues"),
]
