"""`ape console` hook: Clique headers need the PoA middleware Ape 0.8.51 fails to add."""


def ape_init_extras(networks):
    if networks.active_provider is not None and networks.provider.is_connected:
        from civic_ledger.chain.poa import ensure_poa_middleware

        ensure_poa_middleware(networks.provider)
