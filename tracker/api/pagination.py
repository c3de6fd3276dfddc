from django.utils.translation import gettext
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination

from tracker.progress.rendering import StoredRows


class PageNumberPagination(BasePageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        # A malformed page_size is the caller's mistake (400), not a silent default.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        gettext("Enter a whole number from 1 to %(max)s.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        # An empty or malformed ?page= is refused (404 like any page that does not exist)
        # rather than read as page 1.
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            # ``?page=last``: the last page (the first when there are no rows).
            return paginator.num_pages
        if not raw.isdigit() or len(raw) > 9:
            raise NotFound(gettext("Invalid page."))
        return raw

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 999999}
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class StoredRowsPagination(PageNumberPagination):
    """Pages of stored progress report rows (``tracker.progress.CohortRows``): the page's
    rows stay JSON text, for ``StoredRowsJSONRenderer`` to join unparsed."""

    def get_paginated_response(self, data):
        return super().get_paginated_response(StoredRows(data))
