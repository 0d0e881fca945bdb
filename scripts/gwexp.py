import time, tempfile, shutil, os
import click
from pathlib import Path

@click.command()
@click.option("--count", default=2000)
def cli(count):
    from civic_dev.bench import runner
    from civic_dev.bench.anvil import AnvilSettings, running_anvil
    from civic_dev.bench.throughput import BulkImport, city_target
    from civic_ledger.chain.client import HttpClient
    from civic_ledger.chain.logs import LogReader
    from civic_ledger.chain.manifest import Manifest
    from civic_ledger.gateway.db import connect
    from civic_ledger.gateway.indexer import Contracts, Indexer
    from ape import networks
    runner._quiet_ape()
    with running_anvil(AnvilSettings(block_time=1)) as node:
        rpc = HttpClient(node.url)
        rpc.call("evm_setAutomine", True)
        with networks.parse_network_choice(f"ethereum:local:{node.url}"):
            from ape import accounts
            from civic_ledger.deploy import DeployPlan
            from civic_ledger.core.config import load_roles_file
            from civic_ledger.core.paths import DEFAULT_ROLES_FILE
            roles = load_roles_file(DEFAULT_ROLES_FILE)
            mpath = Path("/tmp/gwexp/deploy.json"); mpath.unlink(missing_ok=True)
            plan = DeployPlan.connected(sender=accounts.test_accounts[0], roles=roles, manifest_path=mpath)
            plan.run()
            from civic_dev.bench.city import City
            from ape import project
            our = City({n: getattr(project, n).at(e["address"]) for n, e in plan.manifest.contracts.items()},
                       {a.name: accounts.test_accounts[a.account.test_account] for a in roles.agencies})
            schema_id = our.register_schema()
            rpc.call("evm_setIntervalMining", 1)
        target = city_target(our, node.url, schema_id, 1, 30_000_000)
        t = time.monotonic()
        BulkImport(target, count, journal_dir=Path(tempfile.mkdtemp()), run_id="x", window=64).run()
        print("import", time.monotonic() - t)
        manifest = Manifest.load(mpath)
        contracts = Contracts.from_manifest(manifest)
        head = rpc.block_number()
        t = time.monotonic()
        n = len(LogReader(rpc).read(contracts.addresses, None, contracts.first_block, head))
        raw = time.monotonic() - t
        print(f"raw: {n} logs in {raw:.2f}s = {n/raw:,.0f}/s")
        db = Path(tempfile.mkdtemp()) / "g.sqlite"
        ix = Indexer(connect(str(db)), rpc, contracts)
        ix.prepare(rpc.chain_ref(), "x"); import gc; gc.freeze() if os.environ.get("FREEZE") else None
        import cProfile, pstats
        prof = cProfile.Profile()
        t = time.monotonic()
        prof.enable() if os.environ.get("PROF") else None
        ev = 0
        while True:
            r = ix.step()
            ev += r.events
            if r.last >= head:
                break
        prof.disable()
        idx = time.monotonic() - t
        print(f"index: {ev} events in {idx:.2f}s = {ev/idx:,.0f}/s ratio {raw/idx:.2f}")
        os.environ.get("PROF") and pstats.Stats(prof).sort_stats("tottime").print_stats(30)
