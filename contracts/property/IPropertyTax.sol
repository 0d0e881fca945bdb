// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IPropertyTax
/// @notice What the title registry asks the property-tax module.
interface IPropertyTax {
    /// @notice True when `parcelId` has an unpaid assessment whose due date has passed.
    function hasOverdue(uint256 parcelId) external view returns (bool);

    /// @notice True when `parcelId` has any unpaid (open) assessment, due or not.
    function hasUnpaid(uint256 parcelId) external view returns (bool);

    /// @notice The title registry of the assessed parcels.
    function titleRegistry() external view returns (address);
}
