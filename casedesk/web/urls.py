from django.contrib.auth import views as auth_views
from django.urls import path

from casedesk.web.views import (
    activities,
    admin,
    auth,
    bulk,
    case_actions,
    cases,
    contracts,
    customers,
    emails,
    entitlements,
    mailboxes,
    queues,
    related,
    users,
)

app_name = "web"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", auth.language_switch, name="set_language"),
    path("profile/", auth.profile, name="profile"),
    path("profile/tokens/", auth.token_create, name="token_create"),
    path("tokens/<uuid:token_id>/revoke/", auth.token_revoke, name="token_revoke"),
    # Service › Cases
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/bulk/", bulk.case_bulk, name="case_bulk"),
    path("cases/<uuid:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/stage/", cases.case_stage, name="case_stage"),
    path("cases/<uuid:case_id>/resolve/", case_actions.case_resolve, name="case_resolve"),
    path("cases/<uuid:case_id>/cancel/", case_actions.case_cancel, name="case_cancel"),
    path("cases/<uuid:case_id>/reactivate/", case_actions.case_reactivate, name="case_reactivate"),
    path("cases/<uuid:case_id>/assign/", case_actions.case_assign, name="case_assign"),
    path("cases/<uuid:case_id>/queue/", case_actions.case_queue, name="case_queue"),
    path("cases/<uuid:case_id>/route/", case_actions.case_route, name="case_route"),
    path("cases/<uuid:case_id>/decrement/", case_actions.case_decrement, name="case_decrement"),
    path("cases/<uuid:case_id>/activities/", activities.activity_add, name="activity_add"),
    path("activities/<uuid:activity_id>/edit/", activities.activity_edit, name="activity_edit"),
    path(
        "activities/<uuid:activity_id>/complete/",
        activities.activity_close,
        {"action": "complete"},
        name="activity_complete",
    ),
    path(
        "activities/<uuid:activity_id>/cancel/",
        activities.activity_close,
        {"action": "cancel"},
        name="activity_cancel",
    ),
    path("cases/<uuid:case_id>/notes/", activities.message_add, {"kind": "note"}, name="note_add"),
    path("cases/<uuid:case_id>/posts/", activities.message_add, {"kind": "post"}, name="post_add"),
    path("cases/<uuid:case_id>/emails/", emails.email_add, name="email_add"),
    path("cases/<uuid:case_id>/similar/", related.similar_cases, name="case_similar"),
    path("cases/<uuid:case_id>/connections/", related.connection_add, name="connection_add"),
    path("cases/<uuid:case_id>/history/", related.case_history, name="case_history"),
    # Service › Queues
    path("queues/", queues.queue_items, name="queue_items"),
    path(
        "queue-items/<uuid:item_id>/pick/",
        queues.queue_item_action,
        {"action": "pick"},
        name="queue_item_pick",
    ),
    path(
        "queue-items/<uuid:item_id>/release/",
        queues.queue_item_action,
        {"action": "release"},
        name="queue_item_release",
    ),
    path(
        "queue-items/<uuid:item_id>/remove/",
        queues.queue_item_action,
        {"action": "remove"},
        name="queue_item_remove",
    ),
    # Service › Entitlements
    path("entitlements/", entitlements.entitlement_list, name="entitlement_list"),
    path("entitlements/new/", entitlements.entitlement_edit, name="entitlement_new"),
    path(
        "entitlements/<uuid:entitlement_id>/",
        entitlements.entitlement_detail,
        name="entitlement_detail",
    ),
    path(
        "entitlements/<uuid:entitlement_id>/edit/",
        entitlements.entitlement_edit,
        name="entitlement_edit",
    ),
    *[
        path(
            f"entitlements/<uuid:entitlement_id>/{action}/",
            entitlements.entitlement_action,
            {"action": action},
            name=f"entitlement_{action}",
        )
        for action in ("activate", "deactivate", "cancel", "default")
    ],
    # Service › Contracts
    path("contracts/", contracts.contract_list, name="contract_list"),
    path("contracts/new/", contracts.contract_edit, name="contract_new"),
    path("contracts/<uuid:contract_id>/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<uuid:contract_id>/edit/", contracts.contract_edit, name="contract_edit"),
    path(
        "contracts/<uuid:contract_id>/lines/",
        contracts.contract_line_add,
        name="contract_line_add",
    ),
    path(
        "contracts/<uuid:contract_id>/lines/<uuid:line_id>/",
        contracts.contract_line_edit,
        name="contract_line_edit",
    ),
    path(
        "contracts/<uuid:contract_id>/lines/<uuid:line_id>/remove/",
        contracts.contract_line_remove,
        name="contract_line_remove",
    ),
    # Administration
    path("admin/", admin.admin_home, name="admin_home"),
    path("admin/queues/", admin.queue_list, name="admin_queues"),
    path("admin/queues/new/", admin.queue_edit, name="admin_queue_new"),
    path("admin/queues/<uuid:queue_id>/", admin.queue_edit, name="admin_queue"),
    path("admin/rule-sets/", admin.rule_set_list, name="admin_rule_sets"),
    path("admin/rule-sets/new/", admin.rule_set_edit, name="admin_rule_set_new"),
    path("admin/rule-sets/<uuid:rule_set_id>/", admin.rule_set_edit, name="admin_rule_set"),
    path(
        "admin/rule-sets/<uuid:rule_set_id>/activate/",
        admin.rule_set_action,
        {"action": "activate"},
        name="admin_rule_set_activate",
    ),
    path(
        "admin/rule-sets/<uuid:rule_set_id>/deactivate/",
        admin.rule_set_action,
        {"action": "deactivate"},
        name="admin_rule_set_deactivate",
    ),
    path("admin/mailboxes/", mailboxes.mailbox_list, name="admin_mailboxes"),
    path("admin/mailboxes/new/", mailboxes.mailbox_edit, name="admin_mailbox_new"),
    path("admin/mailboxes/<uuid:mailbox_id>/", mailboxes.mailbox_edit, name="admin_mailbox"),
    path(
        "admin/mailboxes/<uuid:mailbox_id>/poll/",
        mailboxes.mailbox_poll_now,
        name="admin_mailbox_poll",
    ),
    path("admin/transitions/", admin.transitions, name="admin_transitions"),
    path("admin/service/", admin.service_settings, name="admin_service"),
    path("admin/users/", users.users_and_teams, name="admin_users"),
    path("admin/users/<uuid:user_id>/", users.user_edit, name="admin_user"),
    path("admin/teams/<uuid:team_id>/", users.team_edit, name="admin_team"),
    # Service › Customers
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<str:customer_type>/new/", customers.customer_edit, name="customer_new"),
    path(
        "customers/<str:customer_type>/<uuid:customer_id>/",
        customers.customer_detail,
        name="customer_detail",
    ),
    path(
        "customers/<str:customer_type>/<uuid:customer_id>/edit/",
        customers.customer_edit,
        name="customer_edit",
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
