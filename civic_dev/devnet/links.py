"""Cutting and healing the links between the devnet's hosts (see `hosts`), for tests and
rehearsals. Two tools, both undone by `heal_all`:

- `cut(host)` / `heal(host)`: the host side of the node's veth goes down / up. The node is cut
  off from everyone, the machine included (its RPC clients get no answer): a data centre that
  lost its uplink.
- `split(groups)`: every host drops what it sends to a host of another group (a `blackhole`
  route per foreign address inside each namespace: the packets vanish silently, as on a cut
  fibre). The groups no longer reach each other but each still reaches the machine, so the
  test can watch both sides. Hosts in no group keep reaching everyone.

No netem or nftables is needed (neither is available on every machine): routes and link state
are plain iproute2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from civic_dev.devnet.config import DevnetError
from civic_dev.devnet.hosts import Host, HostPlan, _ip


class Links:
    """Cuts between the hosts of one devnet; remembers what it did so it can undo all of it."""

    def __init__(self, plan: HostPlan) -> None:
        self.plan = plan
        self.down: set[str] = set()  # host names whose veth is down
        self.dropped: set[tuple[str, str]] = set()  # (host name, foreign address) blackholed

    def _hosts(self, names: Iterable[str]) -> list[Host]:
        return [self.plan.host(n) for n in names]

    def cut(self, *names: str) -> None:
        """Take each host's link down: it reaches nobody and nobody reaches it."""
        for host in self._hosts(names):
            _ip("link", "set", host.veth, "down")
            self.down.add(host.name)

    def heal(self, *names: str) -> None:
        for host in self._hosts(names):
            _ip("link", "set", host.veth, "up")
            self.down.discard(host.name)

    def split(self, groups: Sequence[Sequence[str]]) -> None:
        """Partition the hosts into `groups`: no packet crosses between two groups."""
        seen = [name for group in groups for name in group]
        if len(seen) != len(set(seen)):
            raise DevnetError(f"a host is in two groups: {groups}")
        members = [self._hosts(group) for group in groups]
        for i, group in enumerate(members):
            foreign = [h for j, other in enumerate(members) if j != i for h in other]
            for host in group:
                for other in foreign:
                    if (host.name, other.address) in self.dropped:
                        continue
                    _ip("-n", host.netns, "route", "add", "blackhole", f"{other.address}/32")
                    self.dropped.add((host.name, other.address))

    def join(self) -> None:
        """Undo every `split`: the routes go, the groups reach each other again."""
        for name, address in sorted(self.dropped):
            host = self.plan.host(name)
            _ip("-n", host.netns, "route", "del", "blackhole", f"{address}/32", check=False)
        self.dropped.clear()

    def heal_all(self) -> None:
        """Undo everything this object did (safe to call more than once, e.g. in `finally`)."""
        self.join()
        for name in sorted(self.down):
            _ip("link", "set", self.plan.host(name).veth, "up", check=False)
        self.down.clear()
