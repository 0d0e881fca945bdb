// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ILienRegistry
/// @notice What the title registry asks the lien registry before and when a title moves.
interface ILienRegistry {
    /// @notice True when `parcelId` carries at least one unreleased lien.
    function hasActiveLiens(uint256 parcelId) external view returns (bool);

    /// @notice True when every unreleased lien on `parcelId` has answered sale `saleId`.
    function saleCleared(uint256 parcelId, uint256 saleId) external view returns (bool);

    /// @notice The encumbrance hash of sale `saleId` of `parcelId` (formula:
    /// `LienRegistry.saleEncumbranceHash`) and whether every unreleased lien has answered it.
    /// @dev The title registry passes the sale's own parcel; the hash commits to it.
    function saleEncumbranceOf(uint256 parcelId, uint256 saleId)
        external
        view
        returns (bytes32 encumbranceHash, bool answered);

    /// @notice Called by the title registry when sale `saleId` closes: releases the liens whose
    /// holders consented to be discharged at closing. Only the title registry may call it.
    function onSaleClosed(uint256 parcelId, uint256 saleId) external;

    /// @notice The title registry whose parcels carry the liens.
    function titleRegistry() external view returns (address);
}
