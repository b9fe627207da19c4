from propdesk.servicedesk.tests.conftest import desk  # noqa: F401 - shared fixture
