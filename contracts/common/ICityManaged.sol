// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ICityManaged
/// @notice What every stateful city contract answers the same way: whether it is open, which
/// version of its code runs, and how it is stopped (see CityManaged for the rules).
interface ICityManaged {
    /// @notice The contract is paused by the guardian or closed in the AccessManager.
    error CityContractStopped(address target);
    /// @notice A batch (or the pieces of a split or merge) must hold between `min` and `max` items.
    error CityInvalidBatchSize(uint256 size, uint256 min, uint256 max);

    /// @notice Stops the contract's state-changing functions (emergency). Guardian.
    function pause() external;

    /// @notice Resumes after `pause`. Admin: the guardian stops, the admin resumes.
    function unpause() external;

    /// @notice True unless the contract is paused or closed by the AccessManager.
    function isOpen() external view returns (bool);

    /// @notice The version of the code behind this address (semantic version, e.g. "2.0.0").
    function version() external pure returns (string memory);
}
