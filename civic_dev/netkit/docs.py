"""Markdown written into the network kit: the kit's README and one runbook per client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from civic_dev.devnet.config import GETH_VERSION

if TYPE_CHECKING:
    from civic_dev.netkit.kit import KitNode, KitRpcNode, KitSpec

#: Marks the README's operator-import commands (tests/devnet/test_kit.py runs exactly them).
IMPORT_STEP_MARK = "<!-- runbook-step: import-operator -->"


def clique_quorum(n: int) -> int:
    """Online signers a Clique chain needs: each signer may seal one of every n//2+1 blocks."""
    return n // 2 + 1


def block_one_signer(nodes: list[KitNode]) -> KitNode:
    """The node whose Clique signer is in turn for block 1: geth orders the signers by
    address, and block n is the turn of signer n mod N."""
    ordered = sorted(nodes, key=lambda node: int(node.clique_signer.address, 16))
    return ordered[1 % len(ordered)]


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


def _rpc_table(rpcs: list[KitRpcNode]) -> str:
    if not rpcs:
        return "No RPC node in this kit (`--rpc-nodes 0`): add one before applications connect."
    rows = ["| RPC node | host | JSON-RPC for applications |", "| --- | --- | --- |"]
    rows += [f"| {r.name} | {r.host} | `http://{r.host}:8545` (behind your TLS proxy) |"
             for r in rpcs]  # fmt: skip
    return "\n".join(rows)


def import_operator_step(operator: str) -> str:
    """The README step that puts the generated operator keystore into Ape, as is: Ape keeps
    its accounts as the same v3 keystore files (`<data folder>/accounts/<alias>.json`), so the
    key is never decrypted, typed or piped (`ape accounts import` would want it in clear)."""
    from civic_dev.netkit.kit import OPERATOR_ALIAS

    return f"""## Import the operator account into Ape

On the machine that runs the deployer, from this kit's folder (before `secrets/` is deleted):

{IMPORT_STEP_MARK}
```sh
APE_DATA_FOLDER="${{APE_DATA_FOLDER:-$HOME/.ape}}"
install -d -m 0700 "$APE_DATA_FOLDER/accounts"
install -m 0600 secrets/operator/{operator}.json "$APE_DATA_FOLDER/accounts/{OPERATOR_ALIAS}.json"
ape accounts list
```

`ape accounts list` then shows `{OPERATOR_ALIAS}` with address `{operator}`. The keystore is
the Web3 Secret Storage file Ape itself writes, still encrypted with the passphrase in
`secrets/operator/password`: keep that passphrase in your password manager, not in a file on
the deployer's machine. Commands unlock the account without a prompt from
`CIVIC_PASSPHRASE` (e.g. `read -rs CIVIC_PASSPHRASE && export CIVIC_PASSPHRASE`), then:
`ape run deploy --network ethereum:<your network>:http://<rpc node>:8545 --account
{OPERATOR_ALIAS} ...`. (`ape accounts import {OPERATOR_ALIAS}` asks for the private key
itself, which this kit never writes in clear.)
"""


def kit_readme(spec: KitSpec, nodes: list[KitNode], operator: str | None,
               rpcs: list[KitRpcNode] | None = None) -> str:  # fmt: skip
    from civic_dev.netkit.kit import BESU_VERSION

    rpcs = rpcs or []
    n = len(nodes)
    placeholder = (
        ""
        if spec.hosts
        else (
            "\n> **Hosts are placeholders** (192.0.2.x, a documentation range; RPC nodes "
            "198.51.100.x). Regenerate with `--hosts` (and `--rpc-hosts`) set to the real "
            "addresses before deploying: the hosts are baked into every static peer list.\n"
        )
    )
    funded = (
        f"One operator account was generated and funded: `{operator}` (keystore and passphrase "
        "in `secrets/operator/`). Import it where the deployer runs (below), then fund the "
        "agencies from it.\n\n" + import_operator_step(operator)
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
| client | go-ethereum {GETH_VERSION} (last release that seals Clique) | Hyperledger Besu {BESU_VERSION} (pinned) |
| consensus | Clique PoA: signers take turns, forks possible, probabilistic finality | QBFT: BFT, immediate finality |
| keeps sealing with | {clique_quorum(n)} of {n} signers online | {n - qbft_faults(n)} of {n} validators online ({qbft_faults(n)} faulty tolerated) |
| EVM ceiling | London (Clique has no Shanghai) | any fork; this kit pins {spec.evm_version} |
| exercised here | yes: the same genesis builder, TOML layout and flags run locally (`ape run devnet`, 4 signers on one machine, and its fault test); these files pass `geth init` and geth's config parser in `tests/devnet/test_kit.py` | no: Besu is not installable from this project's package registries; the files follow Besu's documentation and the extraData is decoded back in tests |

Applications (deploy, the gateway, the demo, agency tools) talk to **RPC nodes**: full nodes
that follow the validators, serve `eth`/`net`/`web3` over HTTP and never hold a validator key.
Validators serve no HTTP to the network.

{_rpc_table(rpcs)}

Contents:

- `network.json` — public facts (chain id, validator addresses, enode URLs, hosts, RPC nodes,
  client versions).
- `clique-geth/` — genesis, per-validator `config.toml`, `geth.flags`, `civic-geth.service`;
  per RPC node `config.toml`, `geth.flags`, `civic-geth-rpc.service`; `RUNBOOK.md`.
- `besu-qbft/` — genesis, per-node (validators and RPC nodes) `config.toml`,
  `static-nodes.json`, `civic-besu.service`; `RUNBOOK.md`.
- `secrets/` — node keys, validator keystores and passphrases (files 0600, folders 0700).
  Move each node's folder to that machine over a secure channel, keep an offline backup,
  then delete `secrets/` from the kit. Never commit it (it carries its own `.gitignore`).

{funded}
"""


def geth_runbook(spec: KitSpec, nodes: list[KitNode], rpcs: list[KitRpcNode] | None = None) -> str:
    rpcs = rpcs or []
    n = len(nodes)
    q = clique_quorum(n)
    rpc_names = ", ".join(r.name for r in rpcs) or "(none in this kit)"
    first = block_one_signer(nodes)
    others = " ".join(node.host for node in nodes if node is not first) or "(none)"
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
systemctl daemon-reload && systemctl enable civic-geth    # enable only: start them together (below)
```

`geth.flags` lists the flags the unit passes (mining and unlock cannot live in the TOML).

### Start order: the first block's signer, then all the others together

The genesis is dated 1970, so block 1 is due the moment a signer can seal it: signers started
together all seal their own block 1 at once, and two out-of-turn blocks of equal weight can
stop the chain for good (each signer keeps its own; see "two heads" in section 7). Signers
started one by one seal out-of-turn blocks on their own and fork. So, once every signer is
installed and enabled:

1. Start **{first.name}** ({first.host}) alone: its signer is in turn for block 1 (signers are
   ordered by address, block n is signer n mod {n}'s turn). It seals block 1 (the heavier,
   in-turn block) and then waits: a signer may seal only one block in {q}.
2. When `geth attach --exec 'eth.blockNumber' $IPC` shows 1 on {first.name}, start all the
   others together: `for h in {others}; do ssh root@$h systemctl start civic-geth & done; wait`.
   They take block 1 from {first.name} (within geth's 10 s sync cycle; a block one of them
   sealed on its own meanwhile is out of turn, lighter, and dropped) and the rotation begins.

This is what `ape run devnet up` does (the devnet's start-up stalled on equal-weight block-1
forks before it did). Check section 3 on every node before applications connect. A single
signer restarted later is harmless: it syncs the running chain, which outweighs anything it
seals on its own.

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

RPC nodes in this kit: {rpc_names}. Each is a full node without a signer key: same genesis,
its own `clique-geth/rpcN/config.toml` (static peers: every signer; HTTP on 0.0.0.0:8545 with
only `eth,net,web3`, virtual hosts `localhost` and its host name), `civic-geth-rpc.service`
(no `--mine`, `--unlock` or `--password`) and `secrets/clique-geth/rpcN/nodekey`. The signers
list the RPC nodes as trusted peers (let in even when their peer slots are full).

| from the kit | to (on rpcN) |
| --- | --- |
| `clique-geth/genesis.json` | `/etc/civic-ledger/geth/genesis.json` |
| `clique-geth/rpcN/config.toml` | `/etc/civic-ledger/geth/config.toml` |
| `clique-geth/rpcN/civic-geth-rpc.service` | `/etc/systemd/system/civic-geth-rpc.service` |
| `secrets/clique-geth/rpcN/nodekey` | `/etc/civic-ledger/geth/nodekey` (civic-ledger, 0400) |

`geth init` as for a signer, then `systemctl enable --now civic-geth-rpc` (any time: an RPC
node never seals). Put it behind a TLS proxy and let only the applications' hosts reach 8545;
add your DNS name to `HTTPVirtualHosts` if clients use one. Never expose `admin`, `clique`,
`txpool`, `personal`, `miner` or `debug` over HTTP (they stay on the IPC socket).

Ape connects with a custom network (`networks: custom:` + `node: ethereum: <name>: uri:
http://<rpc node>:8545`, and on Clique `ethereum: <name>: required_confirmations: 1`: its
newest block can be replaced, so a receipt counts once a block is built on it — Ape's sends and
the deployer's and bulk runner's settle rule alike; QBFT blocks are final: 0) and, with Ape 0.8.51,
`civic_ledger.chain.poa.ensure_poa_middleware()` after connecting; the deployer, `ape run
gateway index` and the demo all take `--network ethereum:<name>:http://<rpc node>:8545`.
When an RPC node is unreachable, clients fail with `no answer from http://…` and resume when it
is back: transactions the deployer and the bulk runner journaled are re-sent as the same signed
bytes, never re-signed. Run two RPC nodes for applications that must not wait.

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
| blocks stop, all signers online and peered, **two heads** (`eth.getBlock("latest").hash` differs, same `totalDifficulty`) | a split lasted long enough for peers to drop, and both sides sealed forks of equal weight: geth syncs only from a heavier peer and on its own fork each side's signers have sealed too recently (Clique's one-in-{q} rule), so the chain stays stopped. Pick **one** side, preferably the one the RPC nodes (applications) did not follow; on each of its signers: `geth attach --exec 'miner.stop(); debug.setHead("0x<last block both sides share, hex>")' $IPC`, then `systemctl restart civic-geth` (geth 1.13.15 does not start syncing after `setHead` alone). They sync the other side's fork and sealing resumes, nothing lost; re-send (same signed bytes) any transaction of the dropped blocks that is not mined again. Rehearsed in `tests/devnet/test_partitions.py` |
| `clique does not support shanghai fork` | a genesis past London: Clique stops at London |

## 8. Network splits (what the partition tests measured)

With {n} signers a side needs {q} to keep sealing. Measured on the devnet with every node its
own host (`tests/devnet/test_partitions.py`, 1 s blocks, figures in `docs/devnet.md`):

- one signer cut off: the others keep sealing (slower: most blocks out of turn); the lone
  signer seals one block, stops, and drops that block when it rejoins.
- 2 | 2: each side seals at most two blocks and stops; nothing is lost. Joined, the heavier
  side wins and sealing resumes — unless both sides weigh the same (section 7, "two heads").
- an RPC node cut off: the signers do not notice; clients get errors until it is back.
"""


def besu_runbook(spec: KitSpec, nodes: list[KitNode], rpcs: list[KitRpcNode] | None = None) -> str:
    from civic_dev.netkit.kit import BESU_MAX_LOGS_RANGE, BESU_VERSION

    rpcs = rpcs or []
    n = len(nodes)
    f = qbft_faults(n)
    rpc_names = ", ".join(r.name for r in rpcs) or "(none in this kit)"
    return f"""# Runbook: civic-ledger QBFT network (Hyperledger Besu {BESU_VERSION})

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

- Java 21 and **Besu {BESU_VERSION}** unpacked at `/opt/besu` (`/opt/besu/bin/besu --version`
  must say `besu/v{BESU_VERSION}`; the files were written for that release: upgrade on test
  machines first). Time synchronised (NTP).
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

Start the validators together, as for Clique (QBFT waits for a quorum of {n - f} before its
first block, so a lone start only logs round changes; starting them at once avoids that).

## 3a. RPC nodes for applications

RPC nodes in this kit: {rpc_names}. `besu-qbft/rpcN/config.toml` is a non-validating node
(its key in `secrets/besu-qbft/rpcN/key` is only its p2p identity): static peers are the
validators; JSON-RPC on 0.0.0.0:8545 with `ETH,NET,WEB3` only, `host-allowlist` its host name
and `localhost`, and `rpc-max-logs-range={BESU_MAX_LOGS_RANGE}` — the most the gateway's log
reader ever asks for in one `eth_getLogs` (Besu's default, 1,000, would make it shrink its
queries). Install it like a validator (same unit name), behind a TLS proxy and a firewall that
lets only the applications' hosts reach 8545. Validators keep RPC on 127.0.0.1.

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
