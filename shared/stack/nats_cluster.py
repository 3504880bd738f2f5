"""A local JetStream cluster of real nats-server processes, for the R3 tests.

Production runs three nodes and R3 streams (k8s/base/nats/); what the event
store promises there (no acknowledged save lost or doubled when a node dies,
hangs or leaves) can only be shown against a real cluster whose nodes a test can
SIGKILL, SIGSTOP or put in lame-duck mode. Each node runs from
`deploy/nats/nats-cluster.conf` (fsync before acknowledging) with its own ports,
store and log file, all on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats

from shared.stack.nats_server import (
    REPO_ROOT,
    free_port,
    launch_nats_server,
    server_environment,
)

NATS_CLUSTER_CONFIG = REPO_ROOT / "deploy" / "nats" / "nats-cluster.conf"

# nats-server refuses a lame_duck_duration under 30 s. It is an upper bound:
# after the grace period the server closes its clients at most one a second,
# then exits, so a node with a few clients leaves within seconds.
MIN_LAME_DUCK_DURATION = 30.0


def _duration(seconds: float) -> str:
    """A duration for the config, quoted: the config parser reads an unquoted
    `1.5s` from the environment as a number followed by garbage."""
    return json.dumps(f"{seconds:g}s")


def _get_json(url: str, timeout: float) -> Any:
    """GET a monitoring endpoint; its JSON body even when the status is not 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # /healthz answers 503 with a JSON body
        with e:
            return json.load(e)


@dataclass
class ClusterNode:
    """One nats-server of a cluster: its ports and store survive a restart."""

    name: str
    store_dir: Path
    log_path: Path
    settings: dict[str, str]
    port: int = field(default_factory=free_port)
    cluster_port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    stopped: bool = False  # SIGSTOPped: alive, but answers nothing

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def route_url(self) -> str:
        return f"nats://127.0.0.1:{self.cluster_port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        """The process exists (it may be SIGSTOPped)."""
        return self.process is not None and self.process.poll() is None

    @property
    def answering(self) -> bool:
        """Running and not SIGSTOPped: its monitoring endpoint can answer."""
        return self.running and not self.stopped

    def launch(self) -> None:
        """Starts the process without waiting (see `NatsCluster.start`)."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        env = server_environment(
            self.name,
            self.port,
            self.monitor_port,
            json.dumps(str(self.store_dir)),  # quoted: the cluster config reads it as a string
            **self.settings,
            NATS_CLUSTER_PORT=str(self.cluster_port),
        )
        with open(self.log_path, "ab") as log:
            log.write(f"---- {self.name} starting at {time.time():.3f}\n".encode())
        self.process = launch_nats_server(NATS_CLUSTER_CONFIG, self.log_path, env)
        self.stopped = False

    def healthz(self, js_enabled_only: bool = False, timeout: float = 1.0) -> dict[str, Any]:
        """`/healthz`: without `js_enabled_only`, ok only once this node's
        JetStream is current with the meta leader and its streams."""
        query = "?js-enabled-only=true" if js_enabled_only else ""
        data: dict[str, Any] = _get_json(f"{self.monitor_url}/healthz{query}", timeout)
        return data

    def jsz(self, query: str = "", timeout: float = 2.0) -> dict[str, Any]:
        data: dict[str, Any] = _get_json(f"{self.monitor_url}/jsz{query}", timeout)
        return data

    def varz(self, timeout: float = 2.0) -> dict[str, Any]:
        data: dict[str, Any] = _get_json(f"{self.monitor_url}/varz", timeout)
        return data

    def connz(self, query: str = "", timeout: float = 2.0) -> dict[str, Any]:
        """`/connz`: `?state=closed` lists recently closed clients and why
        (`"reason": "Stale Connection"` for one that stopped answering PINGs)."""
        data: dict[str, Any] = _get_json(f"{self.monitor_url}/connz{query}", timeout)
        return data

    def is_healthy(self) -> bool:
        """Answers, JetStream is current, and it knows a meta leader."""
        if not self.answering:
            return False
        try:
            if self.healthz().get("status") != "ok":
                return False
            return bool(self.jsz().get("meta_cluster", {}).get("leader"))
        except (OSError, ValueError):
            return False

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            if self.is_healthy():
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not healthy in {timeout}s; see {self.log_path}")

    def _signal(self, sig: signal.Signals) -> None:
        if not self.running:
            raise RuntimeError(f"{self.name} is not running")
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: a power cut or an OOM kill, as the server sees it."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.stopped = False

    def stop(self) -> None:
        """SIGSTOP: a hung node (GC pause, frozen VM) whose sockets stay open."""
        self._signal(signal.SIGSTOP)
        self.stopped = True

    def cont(self) -> None:
        """SIGCONT: the hung node carries on, unaware of the time that passed."""
        self._signal(signal.SIGCONT)
        self.stopped = False

    def lame_duck(self) -> None:
        """SIGUSR2: lame-duck mode, a node's orderly leaving (a rolling upgrade,
        k8s preStop): no new clients, leaderships handed over, then after the
        grace period its clients are closed one by one and it exits."""
        self._signal(signal.SIGUSR2)

    def wait_exit(self, timeout: float) -> int:
        """Waits for the process to end by itself (after lame-duck mode)."""
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        return self.process.wait(timeout)

    def shutdown(self, timeout: float = 15.0) -> None:
        """SIGTERM (after SIGCONT if stopped), SIGKILL if it does not exit in time."""
        if not self.running:
            return
        assert self.process is not None
        if self.stopped:
            self.cont()
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self, wait: bool = True, timeout: float = 60.0) -> None:
        """Starts again with the same store and ports (stopping it first if it runs)."""
        self.shutdown()
        self.launch()
        if wait:
            self.wait_healthy(timeout)


class NatsCluster:
    """N nats-server processes (3 by default) forming one JetStream cluster.

    `ping_interval` / `ping_max` are the server's stale-connection detection
    (nats-server defaults: 2 minutes, 2), short in a test of idle
    connections. The lame-duck grace period is short (1 s) so a node in
    lame-duck mode leaves in a second or two.
    """

    def __init__(
        self,
        base_dir: Path,
        size: int = 3,
        name: str = "belonging-test",
        lame_duck_duration: float = MIN_LAME_DUCK_DURATION,
        lame_duck_grace_period: float = 1.0,
        ping_interval: float = 120.0,
        ping_max: int = 2,
    ) -> None:
        if lame_duck_duration < MIN_LAME_DUCK_DURATION:
            raise ValueError(f"nats-server needs lame_duck_duration >= {MIN_LAME_DUCK_DURATION}s")
        self.base_dir = base_dir
        self.name = name
        settings = {
            "NATS_CLUSTER_NAME": json.dumps(name),
            "NATS_LAME_DUCK_DURATION": _duration(lame_duck_duration),
            "NATS_LAME_DUCK_GRACE_PERIOD": _duration(lame_duck_grace_period),
            "NATS_SERVER_PING_INTERVAL": _duration(ping_interval),
            "NATS_SERVER_PING_MAX": str(int(ping_max)),
        }
        self.nodes = [
            ClusterNode(
                name=f"{name}-{n}",
                store_dir=base_dir / f"node{n}" / "store",
                log_path=base_dir / f"node{n}.log",
                settings=settings,
            )
            for n in range(1, size + 1)
        ]
        routes = ", ".join(node.route_url for node in self.nodes)
        for node in self.nodes:
            node.settings = {**settings, "NATS_CLUSTER_ROUTES": f"[{routes}]"}

    @property
    def urls(self) -> str:
        """Every node's client URL, comma-joined, as NATS_URL takes them."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> ClusterNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    #: Starts tried when a node finds a port taken between choosing and binding it.
    START_ATTEMPTS = 3

    def start(self, timeout: float = 60.0) -> None:
        """Starts every node; returns once each is healthy and all agree on a meta leader.

        Free ports are chosen before the servers bind them, so another process
        (an outgoing connection's ephemeral port) may take one meanwhile: then
        the cluster is started afresh on new ports, a few times at most.
        """
        for attempt in range(1, self.START_ATTEMPTS + 1):
            self.base_dir.mkdir(parents=True, exist_ok=True)
            for node in self.nodes:
                node.launch()
            try:
                self.wait_ready(timeout)
                return
            except BaseException:
                self.close()
                if attempt == self.START_ATTEMPTS or not self._a_port_was_taken():
                    raise
                self._start_over_on_new_ports(attempt)

    def _a_port_was_taken(self) -> bool:
        for node in self.nodes:
            with contextlib.suppress(OSError):
                if "address already in use" in node.log_path.read_text(errors="replace"):
                    return True
        return False

    def _start_over_on_new_ports(self, attempt: int) -> None:
        """New ports for every node, the routes to match, an empty store; logs kept aside."""
        for node in self.nodes:
            node.port, node.cluster_port, node.monitor_port = free_port(), free_port(), free_port()
            with contextlib.suppress(OSError):
                node.log_path.rename(node.log_path.with_suffix(f".attempt{attempt}.log"))
            shutil.rmtree(node.store_dir, ignore_errors=True)
        routes = ", ".join(node.route_url for node in self.nodes)
        for node in self.nodes:
            node.settings = {**node.settings, "NATS_CLUSTER_ROUTES": f"[{routes}]"}

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Every node healthy, of one mind about the meta leader, and current with it."""
        deadline = time.monotonic() + timeout
        while True:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(f"{node.name} exited; see {node.log_path}")
            if all(node.is_healthy() for node in self.nodes):
                leaders = {self._meta_leader_seen_by(node) for node in self.nodes}
                if len(leaders) == 1 and None not in leaders and self._meta_current(leaders.pop()):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"cluster not ready in {timeout}s; see {self.base_dir}/*.log")
            time.sleep(0.1)

    def _meta_current(self, leader: str | None) -> bool:
        """The meta leader sees every other node current: the JetStream API
        can place an R3 stream at once."""
        try:
            meta = self.node(str(leader)).jsz().get("meta_cluster", {})
        except (KeyError, OSError, ValueError):
            return False
        replicas = meta.get("replicas") or []
        return len(replicas) == len(self.nodes) - 1 and all(r.get("current") for r in replicas)

    def _meta_leader_seen_by(self, node: ClusterNode) -> str | None:
        try:
            leader = node.jsz().get("meta_cluster", {}).get("leader")
        except (OSError, ValueError):
            return None
        return str(leader) if leader else None

    def meta_leader(self) -> ClusterNode:
        return self._majority_view(self._meta_leader_seen_by, "the meta leader", 10.0)

    def stream_details(self, node: ClusterNode, stream: str) -> dict[str, Any] | None:
        """The `stream_detail` entry for `stream` in `node`'s `/jsz`: cluster
        (leader, replicas with `current` and `lag`), config and state."""
        data = node.jsz("?streams=true&config=true")
        for account in data.get("account_details") or []:
            for detail in account.get("stream_detail") or []:
                if detail.get("name") == stream:
                    found: dict[str, Any] = detail
                    return found
        return None

    def stream_leader(self, stream: str, timeout: float = 10.0) -> ClusterNode:
        """The node a majority of the answering nodes name as the stream's leader.

        A majority, because a node just back from SIGSTOP may still believe
        what was true before it stopped.
        """

        def seen_by(node: ClusterNode) -> str | None:
            try:
                detail = self.stream_details(node, stream)
            except (OSError, ValueError):
                return None
            leader = (detail or {}).get("cluster", {}).get("leader")
            return str(leader) if leader else None

        return self._majority_view(seen_by, f"the leader of stream {stream}", timeout)

    def _majority_view(
        self, view: Callable[[ClusterNode], str | None], what: str, timeout: float
    ) -> ClusterNode:
        deadline = time.monotonic() + timeout
        quorum = len(self.nodes) // 2 + 1
        while True:
            votes: dict[str, int] = {}
            for node in self.nodes:
                if node.answering:
                    name = view(node)
                    if name:
                        votes[name] = votes.get(name, 0) + 1
            for name, count in votes.items():
                if count >= quorum:
                    leader = self.node(name)
                    if leader.answering:
                        return leader
            if time.monotonic() > deadline:
                raise TimeoutError(f"no majority for {what} in {timeout}s: {votes}")
            time.sleep(0.1)

    def move_stream_leader(self, stream: str, to: ClusterNode, timeout: float = 20.0) -> None:
        """Makes `to` the stream's leader: a leader stepdown naming it preferred
        (nats-server 2.11+). So a fault can hit the node that both leads the
        stream and holds the application's connections, the hardest case,
        rather than whichever node the election and the client's shuffle chose."""
        deadline = time.monotonic() + timeout
        while self.stream_leader(stream, timeout) is not to:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{to.name} did not become the leader of {stream}")
            answer = asyncio.run(
                self._request(
                    f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}",
                    {"placement": {"preferred": to.name}},
                )
            )
            if not answer.get("success"):
                raise RuntimeError(f"stepdown of {stream} refused: {answer}")
            settle = time.monotonic() + 5
            while time.monotonic() < settle and self.stream_leader(stream, timeout) is not to:
                time.sleep(0.1)

    async def _request(self, subject: str, body: dict[str, Any]) -> dict[str, Any]:
        """One JetStream API request through an answering node."""
        servers = [node.url for node in self.nodes if node.answering]
        nc = await nats.connect(servers=servers, connect_timeout=2, allow_reconnect=False)
        try:
            reply = await nc.request(subject, json.dumps(body).encode(), timeout=5)
            data: dict[str, Any] = json.loads(reply.data)
            return data
        finally:
            await nc.close()

    def wait_stream_current(self, stream: str, timeout: float = 30.0) -> None:
        """Every node holds the stream up to the same last sequence, and the
        leader sees every replica current: reads from any node agree."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                details = {n.name: self.stream_details(n, stream) for n in self.nodes}
                last = {k: (v or {}).get("state", {}).get("last_seq") for k, v in details.items()}
                leader = self.stream_leader(stream, timeout=2.0)
                replicas = (details[leader.name] or {}).get("cluster", {}).get("replicas") or []
                if (
                    None not in last.values()
                    and len(set(last.values())) == 1
                    and len(replicas) == len(self.nodes) - 1
                    and all(r.get("current") and not r.get("lag") for r in replicas)
                ):
                    return
            except (OSError, ValueError, TimeoutError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"stream {stream} not current on every node in {timeout}s: {last}")

    def replicas_of_streams(self) -> dict[str, int]:
        """Every stream in the cluster and its configured number of replicas."""
        found: dict[str, int] = {}
        for node in self.nodes:  # a node lists only the streams it holds a replica of
            if node.answering:
                data = node.jsz("?streams=true&config=true")
                for account in data.get("account_details") or []:
                    for detail in account.get("stream_detail") or []:
                        replicas = detail.get("config", {}).get("num_replicas", 1)
                        found[detail["name"]] = int(replicas)
        return found

    def close(self) -> None:
        """Stops every node (SIGCONT first where stopped, SIGKILL where SIGTERM is ignored)."""
        for node in self.nodes:
            if node.running and node.stopped:
                with contextlib.suppress(Exception):
                    node.cont()
        for node in self.nodes:
            if node.running:
                assert node.process is not None
                node.process.terminate()
        for node in self.nodes:
            node.shutdown()

    def __enter__(self) -> NatsCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
