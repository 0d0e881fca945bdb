// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";

/// @title IdentityGate
/// @notice The one "the subject itself acts" check every city contract uses: the wallet acting
/// for an identity is its controller while the identity is Active (a suspended identity, e.g.
/// after a reported stolen key, can do nothing until reinstated or recovered).
library IdentityGate {
    /// @notice The identity is not registered, or not Active (suspended or closed).
    error CityIdentityNotActive(bytes32 subject);

    /// @dev The controller of Active identity `subject` (reverts CityIdentityNotActive otherwise).
    function activeController(IIdentityRegistry registry, bytes32 subject)
        internal
        view
        returns (address controller)
    {
        controller = registry.activeControllerOf(subject);
        if (controller == address(0)) revert CityIdentityNotActive(subject);
    }
}
