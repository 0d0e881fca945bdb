"""`ape console` hook: the city's deployment on the connected network, ready to use.

`ape console --network ethereum:city-local:node` (or the devnet, or any network with a
manifest in deployments/) finds the manifest, checks it belongs to the connected chain, and
puts every contract in the console as itself (`TitleRegistry`, `RecordRegistry`, ...) and under
`city` (`city.TitleRegistry`), registered in Ape's deployment cache (`project.TitleRegistry.
deployments[-1]`). Clique headers also get the PoA middleware Ape 0.8.51 fails to add.
"""

import contextlib


def ape_init_extras(networks, project, chain):
    from types import SimpleNamespace

    if networks.active_provider is None or not networks.provider.is_connected:
        return {}
    from civic_ledger.chain.poa import ensure_poa_middleware

    ensure_poa_middleware(networks.provider)
    try:
        from civic_ledger.chain.client import Web3Client
        from civic_ledger.chain.manifest import manifest_path, open_manifest

        client = Web3Client(networks.provider.web3)
        path = manifest_path(networks.provider.network.name)
        manifest = open_manifest(path, client.chain_ref(), code_at=client.code)
    except Exception as exc:  # no deployment here: the console still works
        print(f"civic-ledger: no deployment loaded ({exc})")
        return {}
    contracts = {}
    for name, entry in manifest.contracts.items():
        instance = getattr(project, name).at(entry["address"])
        with contextlib.suppress(Exception):
            chain.contracts.cache_deployment(instance)
        contracts[name] = instance
    print(f"civic-ledger: {len(contracts)} contracts of {path.name} loaded: {', '.join(contracts)}")
    return {"city": SimpleNamespace(**contracts), **contracts}
