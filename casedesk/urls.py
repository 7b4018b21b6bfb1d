from django.urls import include, path, re_path

from casedesk.api.app import api, not_found

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", not_found),
    path("", include("casedesk.web.urls")),
]
