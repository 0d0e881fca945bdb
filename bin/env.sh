# Sourced by bin/* : the project's environment. Everything lives inside the repository:
#   .venv/        Python virtualenv (pinned by requirements.lock)
#   node_modules/ solc-js, OpenZeppelin Contracts 5.3.0, anvil (pinned by package-lock.json)
#   .solcx/       solc-js presented to py-solc-x / ape-solidity as an installed solc
#   .ape-data/    Ape's data folder (accounts, caches) for dev/test: never touches ~/.ape
# Set APE_DATA_FOLDER yourself before sourcing to use another data folder (e.g. real agency wallets).
CIVIC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CIVIC_ROOT
export APE_DATA_FOLDER="${APE_DATA_FOLDER:-$CIVIC_ROOT/.ape-data}"
export SOLCX_BINARY_PATH="$CIVIC_ROOT/.solcx"
export PATH="$CIVIC_ROOT/.venv/bin:$CIVIC_ROOT/node_modules/@foundry-rs/anvil-linux-amd64/bin:$CIVIC_ROOT/.cache/bin:$PATH"
# Ape/hypothesis/pytest caches stay inside the repo as well.
export HYPOTHESIS_STORAGE_DIRECTORY="$CIVIC_ROOT/.hypothesis"
