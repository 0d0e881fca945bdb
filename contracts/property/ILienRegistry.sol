// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ILienRegistry
/// @notice What the title registry asks the lien registry before and when a title moves.
interface ILienRegistry {
    /// @notice True when `parcelId` carries at least one unreleased lien.
    function hasActiveLiens(uint256 parcelId) external view returns (bool);

    /// @notice True when every unreleased lien on `parcelId` has consented to sale `saleId`.
    function saleCleared(uint256 parcelId, uint256 saleId) external view returns (bool);

    /// @notice Called by the title registry when sale `saleId` closes: releases the liens whose
    /// holders consented to be discharged at closing. Only the title registry may call it.
    function onSaleClosed(uint256 parcelId, uint256 saleId) external;
}
