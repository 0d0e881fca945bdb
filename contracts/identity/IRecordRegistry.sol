// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IRecordRegistry
/// @notice What other city contracts read from the credit-record registry.
interface IRecordRegistry {
    /// @notice True when `recordId` exists, is not revoked, not expired and not within a running
    /// dispute stay (an open dispute suspends a record only until its stay lapses).
    function isValid(bytes32 recordId) external view returns (bool);

    /// @notice True when `subject` holds a valid record of every required schema of policy
    /// `policyId` and no valid adverse record of any of its disqualifying schemas.
    /// @dev False for subjects that are not Active identities. Reverts (RecordUnknownPolicy) for a
    /// policy id that was never defined: check `policyExists` when configuring a consumer.
    /// Gas bounded: at most 8 required + 8 disqualifying schemas, one storage read each; a
    /// disqualifying schema whose cached standing holds a dispute stay that has lapsed since the
    /// last write adds an exact scan of at most 8 live records (see RecordRegistry).
    function meetsPolicy(bytes32 subject, uint256 policyId) external view returns (bool);

    /// @notice True when standing policy `policyId` has been defined.
    function policyExists(uint256 policyId) external view returns (bool);
}
