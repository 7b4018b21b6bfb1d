"""Every write of the directory: users and teams (`users`, `teams`), signing in and its delays
(`signin`) and API tokens (`tokens`). The interfaces call them by these names:
`services.user_update(...)`."""

from casedesk.directory.services.signin import (
    login_failure_record,
    login_throttle_check,
    login_unlock,
    login_verify,
)
from casedesk.directory.services.teams import team_create, team_update
from casedesk.directory.services.tokens import (
    TOKEN_PREFIX,
    token_authenticate,
    token_create,
    token_create_for,
    token_digest,
    token_issue,
    token_revoke,
)
from casedesk.directory.services.users import (
    user_create,
    user_for_cli,
    user_language_set,
    user_set_password,
    user_summary,
    user_update,
)

__all__ = [
    "TOKEN_PREFIX",
    "login_failure_record",
    "login_throttle_check",
    "login_unlock",
    "login_verify",
    "team_create",
    "team_update",
    "token_authenticate",
    "token_create",
    "token_create_for",
    "token_digest",
    "token_issue",
    "token_revoke",
    "user_create",
    "user_for_cli",
    "user_language_set",
    "user_set_password",
    "user_summary",
    "user_update",
]
