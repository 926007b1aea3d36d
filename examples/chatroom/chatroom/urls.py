from django.urls import path

from chat import views

urlpatterns = [
    path("rooms/<slug:room>/export.ndjson", views.export_room, name="export-room"),
]
