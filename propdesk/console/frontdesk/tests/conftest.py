from propdesk.frontdesk.tests.conftest import undelivered_house  # noqa: F401
