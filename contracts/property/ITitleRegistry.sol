// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ITitleRegistry
/// @notice What the lien registry and the property-tax module read from the title registry, and
/// the hook through which the lien registry voids a buyer's acceptance.
interface ITitleRegistry {
    /// @notice True when `parcelId` is registered and not retired by a split or merge.
    function isActiveParcel(uint256 parcelId) external view returns (bool);

    /// @notice The identity (salted commitment) currently owning `parcelId`; zero if unregistered.
    function ownerIdentityOf(uint256 parcelId) external view returns (bytes32);

    /// @notice The parcel a sale is for (zero if `saleId` is unknown).
    function saleParcelOf(uint256 saleId) external view returns (uint256);

    /// @notice True while sale `saleId` is proposed or accepted (not yet approved, cancelled or rejected).
    function isSaleOpen(uint256 saleId) external view returns (bool);

    /// @notice Sale `saleId` in one call: its parcel (zero if unknown), whether it is open
    /// (proposed or accepted) and whether the buyer has accepted it (and it is still open).
    function saleStatusOf(uint256 saleId) external view returns (uint256 parcelId, bool open, bool accepted);

    /// @notice The open sale of `parcelId` if the buyer has accepted it, zero otherwise.
    function acceptedSaleOf(uint256 parcelId) external view returns (uint256 saleId);

    /// @notice Called by the lien registry after the set of unreleased liens on `parcelId`
    /// changed (court-ordered lien or release, holder's release): an accepted sale of the parcel
    /// goes back to Proposed (`SaleAcceptanceVoided`, naming `operator`, the account whose
    /// action changed the liens). No-op without an accepted sale. Only the lien registry may call it.
    function onEncumbranceChanged(uint256 parcelId, address operator) external;
}
