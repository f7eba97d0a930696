from tests.auth.conftest import (  # noqa: F401  (fixtures shared with the auth tests)
    english,
    logged_in,
    member,
)
