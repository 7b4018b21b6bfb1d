from django.contrib.auth import views as auth_views
from django.urls import path

from casedesk.web.views import auth, cases, customers

app_name = "web"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", auth.language_switch, name="set_language"),
    path("profile/", auth.profile, name="profile"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/<uuid:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/stage/", cases.case_stage, name="case_stage"),
    path("customers/", customers.customer_list, name="customer_list"),
    path(
        "customers/<str:customer_type>/<uuid:customer_id>/",
        customers.customer_detail,
        name="customer_detail",
    ),
    path(
        "customers/<str:customer_type>/<uuid:customer_id>/panel/",
        customers.customer_panel,
        name="customer_panel",
    ),
    path("lookup/customers/", customers.customer_lookup, name="customer_lookup"),
    path("lookup/contacts/", customers.contact_lookup, name="contact_lookup"),
    path("lookup/accounts/new/", customers.account_create, name="account_create"),
    path("lookup/contacts/new/", customers.contact_create, name="contact_create"),
]
