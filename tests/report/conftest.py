import pytest

from tests.report.generated import generated_run


@pytest.fixture(scope="session")
def generated():
    """A run over 200 generated children: both returns validated, with the generator's injected faults."""
    return generated_run(children=200, seed=11)
