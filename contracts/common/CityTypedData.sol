// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";

/// @title CityTypedData
/// @notice The EIP-712 domain of a city contract that verifies signed messages: named by the
/// contract ("CivicLedger <Contract>"), version "1", the proxy's address and the chain's id.
/// @dev Name and version are constants (OpenZeppelin's documented override of `_EIP712Name` and
/// `_EIP712Version`): signing and verifying read no storage string. A contract overrides
/// `_EIP712Name` with its constant name and records the domain once, from its `initialize`:
/// `__EIP712_init(<its name>, _DOMAIN_VERSION)`. The domain's storage is OpenZeppelin's ERC-7201
/// namespace `openzeppelin.storage.EIP712`, so this base adds nothing to a contract's own layout.
abstract contract CityTypedData is EIP712Upgradeable {
    /// @dev Version of every city domain (a new version would invalidate outstanding signatures).
    string internal constant _DOMAIN_VERSION = "1";

    /// @dev The domain's version, a constant.
    function _EIP712Version() internal pure override returns (string memory) {
        return _DOMAIN_VERSION;
    }
}
