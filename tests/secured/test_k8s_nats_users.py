"""Issue #19 in the k8s manifests: the NATS users the code defines, and a server that runs them.

The permission table lives in `shared/stack/nats_accounts.py`; the ConfigMaps
carry it rendered (`python -m shared.stack.nats_accounts k8s`), with each
public key from the environment (`$CASEFILE_NKEY`, ...). These tests fail if
the manifests drift from the code, if a Deployment would get another
service's seed, or if the deployed config does not keep anonymous clients
and other services out of a real nats-server.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path
from typing import Any

import nats
import pytest

from shared.stack.nats_accounts import (
    K8S_BEGIN,
    K8S_CONFIGMAPS,
    K8S_END,
    K8S_SERVICES,
    k8s_authorization,
    load_or_create_seed,
    nkey_variable,
)
from shared.stack.nats_server import (
    REPO_ROOT,
    free_port,
    launch_nats_server,
    wait_until_healthy,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

K8S = REPO_ROOT / "k8s"
CONFIGMAPS = tuple(REPO_ROOT / name for name in K8S_CONFIGMAPS)


def nats_conf(path: Path) -> str:
    """The `nats.conf` of a ConfigMap manifest (a YAML block scalar, indented four)."""
    text = path.read_text()
    start = text.index("  nats.conf: |\n") + len("  nats.conf: |\n")
    block = re.split(r"\n(?=\S)", text[start:], maxsplit=1)[0]
    return textwrap.dedent(block)


@pytest.mark.parametrize("path", CONFIGMAPS, ids=lambda p: p.parent.name)
def test_the_configmaps_carry_the_users_the_code_defines(path: Path) -> None:
    conf = nats_conf(path)
    start, end = conf.index(K8S_BEGIN) + len(K8S_BEGIN) + 1, conf.index(K8S_END)
    assert conf[start:end] == k8s_authorization(K8S_SERVICES)
    assert "no_auth_user" not in conf
    assert "sync_interval: always" in conf


def test_each_deployment_mounts_only_its_own_seed() -> None:
    yaml = pytest.importorskip("yaml")
    deployed = sorted(p.stem for p in (K8S / "base" / "services").glob("*.yaml"))
    assert deployed == sorted(K8S_SERVICES)
    for name in K8S_SERVICES:
        manifest = (K8S / "base" / "services" / f"{name}.yaml").read_text()
        documents = list(yaml.safe_load_all(manifest))
        deployment: dict[str, Any] = next(d for d in documents if d["kind"] == "Deployment")
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["NATS_NKEY_SEED"] == "/etc/belonging/nats/seed.nk"
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts["nats-seed"] == "/etc/belonging/nats"
        volume = next(v for v in pod["volumes"] if v["name"] == "nats-seed")["secret"]
        assert volume["secretName"] == "belonging-nats-seeds"
        assert volume["items"] == [{"key": f"{name}.nk", "path": "seed.nk"}]
        assert volume["defaultMode"] & 0o007 == 0  # nobody else on the node
    statefulset = next(
        d
        for d in yaml.safe_load_all((K8S / "base" / "nats" / "statefulset.yaml").read_text())
        if d["kind"] == "StatefulSet"
    )
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    assert {"secretRef": {"name": "belonging-nats-users"}} in container["envFrom"]


def _runnable(conf: str, directory: Path, port: int, monitor: int) -> str:
    """The local overlay's config, on this machine's free ports and a scratch directory."""
    replaced = {
        "listen: 0.0.0.0:4222": f"listen: 127.0.0.1:{port}",
        "http: 0.0.0.0:8222": f"http: 127.0.0.1:{monitor}",
        "pid_file: /var/run/nats/nats.pid": f'pid_file: "{directory / "nats.pid"}"',
        "store_dir: /data/jetstream": f'store_dir: "{directory / "jetstream"}"',
    }
    for old, new in replaced.items():
        assert old in conf
        conf = conf.replace(old, new)
    return conf


def test_the_deployed_config_lets_in_each_service_and_nobody_else(tmp_path: Path) -> None:
    seeds = {name: tmp_path / "keys" / f"{name}.nk" for name in ("admin", *K8S_SERVICES)}
    env = {"SERVER_NAME": "k8s-config-test", "PATH": "/usr/bin:/bin"}
    for name, seed in seeds.items():
        env[nkey_variable(name)] = bytes(load_or_create_seed(seed).public_key).decode()
    port, monitor = free_port(), free_port()
    config = tmp_path / "nats.conf"
    local = REPO_ROOT / "k8s" / "overlays" / "local" / "nats.yaml"
    config.write_text(_runnable(nats_conf(local), tmp_path, port, monitor))
    process = launch_nats_server(config, tmp_path / "nats.log", env)
    try:
        problem = wait_until_healthy(process, f"http://127.0.0.1:{monitor}", 15)
        assert problem is None, (tmp_path / "nats.log").read_text()
        url = f"nats://127.0.0.1:{port}"
        assert asyncio.run(_outcomes(url, seeds)) == {
            "anonymous": "refused",
            **{name: "connected" for name in ("admin", *K8S_SERVICES)},
            "placements publishes integration.casefile": "refused",
            "casefile publishes integration.casefile": "allowed",
        }
    finally:
        process.terminate()
        process.wait(10)


async def _outcomes(url: str, seeds: dict[str, Path]) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    try:
        client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
        await client.close()
        outcomes["anonymous"] = "connected"
    except Exception as e:
        outcomes["anonymous"] = "refused" if "authorization" in str(e).lower() else str(e)
    for name, seed in seeds.items():
        client = await nats.connect(url, nkeys_seed=str(seed), allow_reconnect=False)
        outcomes[name] = "connected"
        await client.close()
    for name in ("placements", "casefile"):
        errors: list[str] = []

        async def on_error(error: Exception, into: list[str] = errors) -> None:
            into.append(str(error))

        client = await nats.connect(
            url, nkeys_seed=str(seeds[name]), error_cb=on_error, allow_reconnect=False
        )
        await client.publish("integration.casefile.child.registered.v2", b"{}")
        await client.flush()
        await asyncio.sleep(0.2)
        await client.close()
        refused = any("permissions violation" in e.lower() for e in errors)
        outcomes[f"{name} publishes integration.casefile"] = "refused" if refused else "allowed"
    return outcomes
