import os

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("STATRETURNS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_answers() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means the server is not there
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not _postgres_answers():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL must answer in CI at {POSTGRES_URL} (.ci/run starts it)")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (outside CI only)")
    return POSTGRES_URL
