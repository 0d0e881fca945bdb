"""Markdown written into the network kit: the kit's README and one runbook per client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from civic_dev.devnet.config import GETH_VERSION

if TYPE_CHECKING:
    from civic_dev.netkit.kit import KitNode, KitSpec


def clique_quorum(n: int) -> int:
    """Online signers a Clique chain needs: each signer may seal one of every n//2+1 blocks."""
    return n // 2 + 1


def qbft_faults(n: int) -> int:
    """Faulty validators QBFT tolerates: f with n >= 3f + 1."""
    return (n - 1) // 3


def _node_table(nodes: list[KitNode], kind: str) -> str:
    rows = ["| node | host | validator address | enode |", "| --- | --- | --- | --- |"]
    for n in nodes:
        if kind == "clique":
            rows.append(f"| {n.name} | {n.host} | `{n.clique_signer.address}` | "
                        f"`{n.geth_enode[:30]}…@{n.host}:30303` |")  # fmt: skip
        else:
            rows.append(f"| {n.name} | {n.host} | `{n.qbft_key.address}` | "
                        f"`{n.besu_enode[:30]}…@{n.host}:30303` |")  # fmt: skip
    return "\n".join(rows)


def kit_readme(spec: KitSpec, nodes: list[KitNode], operator: str | None) -> str:
    n = len(nodes)
    placeholder = (
        ""
        if spec.hosts
        else (
            "\n> **Hosts are placeholders** (192.0.2.x, a documentation range). Regenerate with "
            "`--hosts` set to the validators' real addresses before deploying: the hosts are baked "
            "into every static peer list.\n"
        )
    )
    funded = (
        f"One operator account was generated and funded: `{operator}` (keystore and passphrase "
        "in `secrets/operator/`). Import it where the deployer runs "
        "(`ape accounts import`), then fund the agencies from it."
        if operator
        else "Funded in genesis: " + ", ".join(f"`{a}`" for a in sorted(spec.prefund)) + "."
    )
    return f"""# civic-ledger network kit

Chain id **{spec.chain_id}**, EVM **{spec.evm_version}** (from the project's
`solidity.evm_version`), block period **{spec.period} s**, **{n} validators**.
{placeholder}
Two alternative ways to run the same network; pick one per chain:

| | `clique-geth/` | `besu-qbft/` |
| --- | --- | --- |
| client | go-ethereum {GETH_VERSION} (last release that seals Clique) | Hyperledger Besu |
| consensus | Clique PoA: signers take turns, forks possible, probabilistic finality | QBFT: BFT, immediate finality |
| keeps sealing with | {clique_quorum(n)} of {n} signers online | {n - qbft_faults(n)} of {n} validators online ({qbft_faults(n)} faulty tolerated) |
| EVM ceiling | London (Clique has no Shanghai) | any fork; this kit pins {spec.evm_version} |
| exercised here | yes: the same genesis builder, TOML layout and flags run locally (`ape run devnet`, 4 signers on one machine, and its fault test); these files pass `geth init` and geth's config parser in `tests/devnet/test_kit.py` | no: Besu is not installable from this project's package registries; the files follow Besu's documentation and the extraData is decoded back in tests |

Contents:

- `network.json` — public facts (chain id, validator addresses, enode URLs, hosts).
- `clique-geth/` — genesis, per-node `config.toml`, `geth.flags`, `civic-geth.service`,
  `RUNBOOK.md`.
- `besu-qbft/` — genesis, per-node `config.toml`, `static-nodes.json`, `civic-besu.service`,
  `RUNBOOK.md`.
- `secrets/` — node keys, validator keystores and passphrases (files 0600, folders 0700).
  Move each node's folder to that machine over a secure channel, keep an offline backup,
  then delete `secrets/` from the kit. Never commit it (it carries its own `.gitignore`).

{funded}
"""


def geth_runbook(spec: KitSpec, nodes: list[KitNode]) -> str:
    n = len(nodes)
    q = clique_quorum(n)
    return f"""# Runbook: civic-ledger Clique network (geth {GETH_VERSION})

Chain id {spec.chain_id}, block period {spec.period} s, {n} signers; the chain keeps sealing
while **{q} of {n}** signers are online (each signer may seal at most one block in any
{q} consecutive blocks). With {n - q + 1} or more down, sealing stops until enough return;
nothing is lost, it resumes where it stopped.

{_node_table(nodes, "clique")}

## 1. Prepare each machine

- Linux x86_64, time synchronised (NTP/chrony: Clique rejects blocks from the future).
- A system user: `useradd --system --home /var/lib/civic-ledger --shell /usr/sbin/nologin civic-ledger`
- geth {GETH_VERSION}: on a build machine with Go, run this repository's `tools/build-geth.sh`
  (it pins Go 1.22 through the Go module proxy) and copy `.cache/bin/geth` to
  `/usr/local/bin/geth`. Check `geth version` says {GETH_VERSION}. Newer geth releases cannot
  seal Clique blocks: do not upgrade.
- Firewall: TCP+UDP 30303 open **only** between the validators (and RPC nodes). Nothing else
  is exposed: signers serve no HTTP.

## 2. Install the files (on nodeN, for each N)

| from the kit | to | owner, mode |
| --- | --- | --- |
| `clique-geth/genesis.json` | `/etc/civic-ledger/geth/genesis.json` | root, 0644 |
| `clique-geth/nodeN/config.toml` | `/etc/civic-ledger/geth/config.toml` | root, 0644 |
| `clique-geth/nodeN/civic-geth.service` | `/etc/systemd/system/civic-geth.service` | root, 0644 |
| `secrets/clique-geth/nodeN/nodekey` | `/etc/civic-ledger/geth/nodekey` | civic-ledger, 0400 |
| `secrets/clique-geth/nodeN/password` | `/etc/civic-ledger/geth/password` | civic-ledger, 0400 |
| `secrets/clique-geth/nodeN/keystore/*` | `/etc/civic-ledger/geth/keystore/` | civic-ledger, 0700 dir / 0400 file |

```sh
install -d -o civic-ledger -g civic-ledger -m 0750 /var/lib/civic-ledger/geth
sudo -u civic-ledger geth --datadir /var/lib/civic-ledger/geth init /etc/civic-ledger/geth/genesis.json
systemctl daemon-reload && systemctl enable --now civic-geth
journalctl -u civic-geth -f
```

`geth.flags` lists the flags the unit passes (mining and unlock cannot live in the TOML).

## 3. Verify

```sh
IPC=/var/lib/civic-ledger/geth/geth.ipc
geth attach --exec 'eth.getBlock(0).hash' $IPC     # identical on every node
geth attach --exec 'admin.peers.length' $IPC       # {n - 1}
geth attach --exec 'clique.getSigners()' $IPC      # the {n} addresses above
geth attach --exec 'clique.status()' $IPC          # inturnPercent, sealerActivity
```

Healthy: every signer appears in `sealerActivity`, heads advance every {spec.period} s and
agree across nodes. "signed recently, must wait for others" in the log is normal.

## 4. Applications: RPC nodes, not signers

Run one or more non-signing nodes for applications (same genesis, same `config.toml` with its
own static peers), without `--mine/--unlock/--password`, with
`--http --http.addr 0.0.0.0 --http.api eth,net,web3 --http.vhosts <dns name>`, behind a TLS
proxy. Never expose `admin`, `clique`, `txpool`, `personal` or `debug`. Ape connects with a
custom network (`networks: custom:` + `node: ethereum: <name>: uri:`) and, with Ape 0.8.51,
`civic_ledger.chain.poa.ensure_poa_middleware()` after connecting.

## 5. Adding or removing a signer

Votes pass with more than half of the current signers. On a majority of signers:

```sh
geth attach --exec 'clique.propose("0xNEW_SIGNER", true)' $IPC    # add
geth attach --exec 'clique.propose("0xOLD_SIGNER", false)' $IPC   # remove
geth attach --exec 'clique.getSigners()' $IPC                      # watch it change
geth attach --exec 'clique.discard("0xADDRESS")' $IPC              # then stop voting
```

Bring a new signer's node up and synced (its keystore, `--mine`, `--unlock`) **before**
voting it in. Prefer odd signer counts: {n} signers tolerate as many failures as {n - 1 if n % 2 == 0 else n}.
Key rotation = vote the new key in, then the old one out.

## 6. Routine operations

- Stop/restart: `systemctl restart civic-geth` (SIGTERM; geth writes its state). A restarted
  node catches up from its peers; the others keep sealing meanwhile (see the fault test in
  `tests/devnet/test_devnet_fault.py`).
- Backups: chain data can always be re-synced from peers; the **keys cannot**. Keep an offline
  copy of `nodekey`, the keystore and its passphrase per signer.
- Monitoring: alert when `admin.peers.length < {n - 1}`, when the head stops moving for
  {3 * spec.period} s, or when a signer is missing from `clique.status().sealerActivity`.
- Lost signer key: vote that address out from the remaining signers, then vote a new key in.

## 7. Troubleshooting

| symptom | cause |
| --- | --- |
| 0 peers | firewall on 30303, wrong host in static peers, or a different genesis |
| `unauthorized signer` | this node's account is not (or no longer) in `clique.getSigners()` |
| `Account unlock with HTTP access is forbidden` | HTTP was enabled on a signer: keep it off |
| blocks stop | fewer than {q} signers online: bring signers back |
| `clique does not support shanghai fork` | a genesis past London: Clique stops at London |
"""


def besu_runbook(spec: KitSpec, nodes: list[KitNode]) -> str:
    n = len(nodes)
    f = qbft_faults(n)
    return f"""# Runbook: civic-ledger QBFT network (Hyperledger Besu)

Chain id {spec.chain_id}, block period {spec.period} s, {n} validators. QBFT needs a
super-majority: it tolerates **{f}** faulty or offline validator(s) of {n}
(n ≥ 3f + 1); beyond that it stops producing blocks until validators return.

> Not exercised in this repository's environment (Besu is not available from its package
> registries). The files follow Besu's documentation; rehearse on test machines first.

{_node_table(nodes, "qbft")}

The genesis `extraData` is `RLP([32 zero bytes, [validators], [] votes, round 0, [] seals])`;
`londonBlock` is 0 and there is no `shanghaiTime`, matching the project's `evm_version`
({spec.evm_version}). After genesis the validator set changes only through votes.

## 1. Prepare each machine

- Java 21 and a Besu release unpacked at `/opt/besu`; time synchronised (NTP).
- A system user `civic-ledger`; firewall TCP+UDP 30303 open only between the validators.

## 2. Install the files (on nodeN)

| from the kit | to | owner, mode |
| --- | --- | --- |
| `besu-qbft/genesis.json` | `/etc/civic-ledger/besu/genesis.json` | root, 0644 |
| `besu-qbft/nodeN/config.toml` | `/etc/civic-ledger/besu/config.toml` | root, 0644 |
| `besu-qbft/nodeN/static-nodes.json` | `/etc/civic-ledger/besu/static-nodes.json` | root, 0644 |
| `besu-qbft/nodeN/civic-besu.service` | `/etc/systemd/system/civic-besu.service` | root, 0644 |
| `secrets/besu-qbft/nodeN/key` | `/etc/civic-ledger/besu/key` | civic-ledger, 0400 |

```sh
install -d -o civic-ledger -g civic-ledger -m 0750 /var/lib/civic-ledger/besu
systemctl daemon-reload && systemctl enable --now civic-besu
journalctl -u civic-besu -f
```

## 3. Verify (JSON-RPC on 127.0.0.1:{8545} of each node)

```sh
rpc() {{ curl -s -H 'content-type: application/json' -d "{{\\"jsonrpc\\":\\"2.0\\",\\"id\\":1,\\"method\\":\\"$1\\",\\"params\\":$2}}" http://127.0.0.1:8545; echo; }}
rpc net_peerCount '[]'                                  # {n - 1}
rpc qbft_getValidatorsByBlockNumber '["latest"]'        # the {n} addresses above
rpc eth_blockNumber '[]'                                # advances every {spec.period} s
```

## 4. Adding or removing a validator

On more than half of the validators:

```sh
rpc qbft_proposeValidatorVote '["0xADDRESS", true]'    # add (false: remove)
rpc qbft_getPendingVotes '[]'
rpc qbft_getValidatorsByBlockNumber '["latest"]'       # watch it change
rpc qbft_discardValidatorVote '["0xADDRESS"]'          # then stop voting
```

A new validator's node must be running and synced first. Keep n ≥ 3f + 1 for the failures
you must survive (4 validators: 1 failure; 7: 2).

## 5. Routine operations

- Restart: `systemctl restart civic-besu`; the node catches up from its peers.
- Backups: the `key` file of each validator (offline); chain data re-syncs from peers.
- Monitoring: peers < {n - 1}, head not advancing for {3 * spec.period} s, and
  `qbft_getSignerMetrics` for validators that stopped proposing.
"""
