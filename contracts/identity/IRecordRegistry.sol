// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IRecordRegistry
/// @notice What other city contracts read from the credit-record registry.
interface IRecordRegistry {
    /// @notice True when `recordId` exists, is not revoked, not expired and not under an open dispute.
    function isValid(bytes32 recordId) external view returns (bool);

    /// @notice True when `subject` holds a valid record of every required schema of policy
    /// `policyId` and no valid adverse record of any of its disqualifying schemas.
    /// @dev False for subjects that are not Active identities. Reverts (RecordUnknownPolicy) for a
    /// policy id that was never defined: check `policyExists` when configuring a consumer.
    /// Gas bounded: at most 8 required + 8 disqualifying schemas, one storage read each.
    function meetsPolicy(bytes32 subject, uint256 policyId) external view returns (bool);

    /// @notice True when standing policy `policyId` has been defined.
    function policyExists(uint256 policyId) external view returns (bool);
}
