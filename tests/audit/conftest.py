from tests.auth.conftest import (  # noqa: F401  (fixtures shared with the auth tests)
    _fresh_request_globals,
    _no_cli_actor,
    english,
    logged_in,
    member,
)
