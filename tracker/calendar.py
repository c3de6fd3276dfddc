"""The private iCalendar feed."""

urlpatterns: list = []
