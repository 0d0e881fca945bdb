// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ITitleRegistry
/// @notice What the lien registry and the property-tax module read from the title registry.
interface ITitleRegistry {
    /// @notice True when `parcelId` is registered and not retired by a split or merge.
    function isActiveParcel(uint256 parcelId) external view returns (bool);

    /// @notice The identity (salted commitment) currently owning `parcelId`; zero if unregistered.
    function ownerIdentityOf(uint256 parcelId) external view returns (bytes32);

    /// @notice The parcel a sale is for (zero if `saleId` is unknown).
    function saleParcelOf(uint256 saleId) external view returns (uint256);

    /// @notice True while sale `saleId` is proposed or accepted (not yet approved, cancelled or rejected).
    function isSaleOpen(uint256 saleId) external view returns (bool);
}
