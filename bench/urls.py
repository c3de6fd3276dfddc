"""Stride's routes plus ``/bench/trivial/``, the benchmarks' yardstick."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class TrivialView(APIView):
    """The cheapest DRF answer: no authentication, no permission, no throttle, no database."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/trivial/", TrivialView.as_view(), name="bench-trivial"),
    path("", include("tracker.urls")),
]
