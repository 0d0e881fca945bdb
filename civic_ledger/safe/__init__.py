"""The city's admin as a Safe multisig: the Safe v1.4.1 contracts (npm artefacts), SafeTx
proposals signed offline by M of N owners into files, and their execution."""
