"""Property-based checks of the whole API against its own OpenAPI schema: no 500s, responses match the schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from careloop.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Like Django's test client: a finished request must not close the test's database connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(world):
    return Token.objects.create(user=world.admin).key


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_honours_its_schema(case, token):
    # Valid-looking data may still be refused: a phone of 11 zeros fits the schema but is no mobile number.
    case.call_and_validate(headers={"Authorization": f"Token {token}", "Accept-Language": "en"},
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])
