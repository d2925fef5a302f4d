"""Kubernetes on paper, checked: deploy/k8s/values.yaml (the official Dagster Helm chart) and the code
location's Dockerfile parse, and agree on the image, the code location and the instance storage."""

from __future__ import annotations

import importlib.util
import json
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """(instruction, arguments) for each instruction, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line, ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    assert not pending, f"{path}: a continued line never ends"
    return instructions


def _pairs(args: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in shlex.split(args))


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text())


@pytest.fixture(scope="module")
def docker() -> list[tuple[str, str]]:
    return dockerfile(K8S / "Dockerfile")


def _deployment(values: dict) -> dict:
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return deployment


def test_the_chart_and_the_dockerfile_name_the_same_image(values, docker):
    image = _deployment(values)["image"]
    labels = {k: v for kind, args in docker if kind == "LABEL" for k, v in _pairs(args).items()}
    assert labels["org.opencontainers.image.ref.name"] == f"{image['repository']}:{image['tag']}"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert image["tag"] == version
    assert [args for kind, args in docker if kind == "FROM"][0].startswith("python:3.11")
    for kind, args in docker:
        if kind == "COPY" and not args.startswith(". "):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_the_chart_the_dockerfile_and_the_workspace_load_the_same_code_location(values, docker):
    grpc_args = _deployment(values)["dagsterApiGrpcArgs"]
    from_chart = grpc_args[grpc_args.index("--module-name") + 1]
    (cmd,) = [json.loads(args) for kind, args in docker if kind == "CMD"]
    from_image = cmd[cmd.index("--module-name") + 1]
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    (location,) = workspace["load_from"]
    assert from_chart == from_image == location["python_module"]["module_name"] == "pipelines.definitions"
    assert importlib.util.find_spec(from_chart) is not None
    assert str(_deployment(values)["port"]) == cmd[cmd.index("--port") + 1]
    assert [args for kind, args in docker if kind == "EXPOSE"] == [str(_deployment(values)["port"])]


def test_the_instance_is_the_same_external_postgres_and_the_run_folder_is_shared(values, docker):
    pg = values["postgresql"]
    assert pg["enabled"] is False and pg["postgresqlHost"] and pg["postgresqlDatabase"] and pg["postgresqlUsername"]
    assert values["generatePostgresqlPasswordSecret"] is False and values["global"]["postgresqlSecretName"]
    one_machine = yaml.safe_load((ROOT / "deploy" / "dagster.postgres.yaml").read_text())
    assert set(one_machine["storage"]) == {"postgres"}  # the same storage on one machine as in the cluster
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"

    deployment = _deployment(values)
    env = {e["name"]: e["value"] for e in deployment["env"]}
    image_env = {k: v for kind, args in docker if kind == "ENV" for k, v in _pairs(args).items()}
    assert env["STATRETURNS_RUN_DIR"] == image_env["STATRETURNS_RUN_DIR"]
    mounts = {m["name"]: m["mountPath"] for m in deployment["volumeMounts"]}
    claims = {v["name"] for v in deployment["volumes"] if "persistentVolumeClaim" in v}
    assert env["STATRETURNS_RUN_DIR"] in mounts.values() and set(mounts) <= claims
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True  # run pods get the same env and volume


def test_the_dockerfile_parser_joins_continued_lines(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("# c\nFROM x\nENV A=1 \\\n    B=2\n\nCMD [\"a\"]\n")
    assert dockerfile(path) == [("FROM", "x"), ("ENV", "A=1 B=2"), ("CMD", '["a"]')]
