"""Private proof-of-authority networks for civic-ledger.

- `local`: the local geth Clique devnet (`ape run devnet up|down|status|propose-signer|...`)
- `genesis`: Clique (geth) and QBFT (Besu) genesis builders, pure functions
- the multi-machine network kit is `civic_dev.netkit` (`ape run network kit`)
- `keys`, `nodes`, `clique`, `rpc`, `bench`: keys, geth processes, consensus RPC, load

geth v1.13.15 is the last release that seals Clique blocks; `tools/build-geth.sh` builds it.
"""

from civic_dev.devnet.config import DevnetConfig, DevnetError, project_evm_version

__all__ = ["DevnetConfig", "DevnetError", "project_evm_version"]
