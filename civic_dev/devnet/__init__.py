"""Private proof-of-authority networks for civic-ledger.

- `local`: the local geth Clique devnet (`ape run devnet up|down|status|propose-signer|...`)
- `genesis`: Clique (geth) and QBFT (Besu) genesis builders, pure functions
- the multi-machine network kit is `civic_dev.netkit` (`ape run network kit`)
- `keys`, `nodes`, `clique`, `rpc`, `bench`: keys, geth processes, consensus RPC, load
- `hosts`, `links`: every node in its own network namespace (`up --hosts`, with a
  non-signing RPC node), and cutting / healing the links between them (partition tests)

geth v1.13.15 is the last release that seals Clique blocks; `tools/build-geth.sh` builds it.
"""

from civic_dev.devnet.config import DevnetConfig, DevnetError, project_evm_version

__all__ = ["DevnetConfig", "DevnetError", "project_evm_version"]
