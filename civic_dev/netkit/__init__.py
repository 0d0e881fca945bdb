"""The multi-machine network kit (`ape run network kit`): genesis, node configs, keys and
runbooks for a Clique (geth) or QBFT (Besu) network of several operators."""
