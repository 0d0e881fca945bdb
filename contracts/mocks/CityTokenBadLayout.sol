// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {CityToken} from "../property/CityToken.sol";

/// @title CityTokenBadLayout (test mock)
/// @notice An upgrade the deploy plan must refuse: a state variable outside any ERC-7201
/// namespace (it would land in slot 0 of the proxy's storage).
contract CityTokenBadLayout is CityToken {
    /// @notice A loose state variable.
    uint256 public extra;

    /// @notice "9.9.9".
    function version() external pure override returns (string memory) {
        return "9.9.9";
    }
}
