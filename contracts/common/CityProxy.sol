// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @title CityProxy
/// @notice The address every stateful city contract lives at: OpenZeppelin's ERC-1967 proxy,
/// unchanged. It delegates every call to the current implementation (a CityManaged contract,
/// UUPS), whose upgrades go through the AccessManager's UPGRADER role and notice period.
contract CityProxy is ERC1967Proxy {
    /// @param implementation The first implementation.
    /// @param data The initializer call (`initialize(...)`), run once, in the proxy's context.
    constructor(address implementation, bytes memory data) payable ERC1967Proxy(implementation, data) {}
}
