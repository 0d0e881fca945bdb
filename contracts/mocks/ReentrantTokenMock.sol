// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantTokenMock
/// @notice TEST ONLY. An ERC20 that, once armed, calls back into `target` with `data` the next
/// time `target` sends tokens — the hook a malicious or hook-bearing token would give an
/// attacker (Allo #357). Records whether the re-entrant call succeeded and what it returned.
contract ReentrantTokenMock is ERC20 {
    address public target;
    bytes public data;
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryResult;

    constructor() ERC20("Reentrant Mock", "RMOCK") {}

    /// @notice Mints freely (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfer out of `target_` calls `target_` with `data_`.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        reentered = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && from == target && !reentered) {
            reentered = true;
            (bool ok, bytes memory result) = target.call(data);
            reentrySucceeded = ok;
            reentryResult = result;
        }
    }
}
