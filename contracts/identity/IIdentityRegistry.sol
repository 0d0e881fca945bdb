// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IIdentityRegistry
/// @notice What other city contracts read from the identity registry. Subjects are salted
/// commitments (`keccak256(abi.encodePacked(salt, officialId))`): no personal data on chain.
interface IIdentityRegistry {
    /// @notice What an identity stands for.
    enum Kind {
        None,
        Person,
        Enterprise,
        Agency
    }

    /// @notice Lifecycle of an identity, changed only by the identity office.
    enum Status {
        None,
        Active,
        Suspended,
        Closed
    }

    /// @notice The wallet currently controlling `subject` (zero if unknown).
    function controllerOf(bytes32 subject) external view returns (address);

    /// @notice The wallet controlling `subject` while it is Active; zero when it is unknown,
    /// suspended or closed. Use it for every "the subject itself acts" check: a suspended
    /// identity (e.g. a reported stolen key) can then do nothing until reinstated or recovered.
    function activeControllerOf(bytes32 subject) external view returns (address);

    /// @notice The identity controlled by `controller` (zero if none).
    function subjectOf(address controller) external view returns (bytes32);

    /// @notice The kind of `subject` (None if unregistered).
    function kindOf(bytes32 subject) external view returns (Kind);

    /// @notice The status of `subject` (None if unregistered).
    function statusOf(bytes32 subject) external view returns (Status);

    /// @notice True when `subject` is registered and Active.
    function isActive(bytes32 subject) external view returns (bool);
}
