// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TitleRegistry} from "../property/TitleRegistry.sol";

/// @title TitleRegistryV2 (test mock)
/// @notice A second release of TitleRegistry for the whole-suite upgrade test: same storage, and
/// a new rule a land registry would plausibly ship: a court caveat lodged on a parcel freezes
/// its title token (no sale closes, no holder moves) until it is lifted. The caveats live in an
/// ERC-7201 namespace of their own; `lodgeCaveat`/`liftCaveat` are unmapped (ADMIN only) until
/// the deploy plan maps them.
contract TitleRegistryV2 is TitleRegistry {
    /// @custom:storage-location erc7201:civic.TitleRegistryV2
    struct TitleRegistryV2Storage {
        mapping(uint256 parcelId => bytes32 orderHash) caveats;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.TitleRegistryV2")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant V2_STORAGE = 0xfd637fd4f13c6befe7b1002db4b81317e7d0c18e7e82ec7129204c7cde675500;

    /// @notice A caveat was lodged on `parcelId` by the court order `orderHash`.
    event CaveatLodged(uint256 indexed parcelId, bytes32 orderHash);
    /// @notice The caveat on `parcelId` was lifted.
    event CaveatLifted(uint256 indexed parcelId);

    /// @notice The parcel is under a caveat (court order `orderHash`): its title cannot move.
    error TitleUnderCaveat(uint256 parcelId, bytes32 orderHash);
    /// @notice A caveat needs an existing parcel and a non-zero order hash.
    error TitleInvalidCaveat(uint256 parcelId);

    /// @notice Lodges a caveat on `parcelId` under the court order `orderHash`.
    function lodgeCaveat(uint256 parcelId, bytes32 orderHash) external restricted {
        if (orderHash == bytes32(0) || _ownerOf(parcelId) == address(0)) revert TitleInvalidCaveat(parcelId);
        _v2().caveats[parcelId] = orderHash;
        emit CaveatLodged(parcelId, orderHash);
    }

    /// @notice Lifts the caveat on `parcelId`.
    function liftCaveat(uint256 parcelId) external restricted {
        delete _v2().caveats[parcelId];
        emit CaveatLifted(parcelId);
    }

    /// @notice The court order of the caveat on `parcelId` (zero: none).
    function caveatOf(uint256 parcelId) external view returns (bytes32) {
        return _v2().caveats[parcelId];
    }

    /// @notice "2.0.0".
    function version() external pure override returns (string memory) {
        return "2.0.0";
    }

    /// @dev The new rule: a title token under caveat does not move (mints and burns are not
    /// transfers: registration, split and merge keep their own rules).
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        bytes32 caveat = _v2().caveats[tokenId];
        if (caveat != bytes32(0) && to != address(0) && _ownerOf(tokenId) != address(0)) {
            revert TitleUnderCaveat(tokenId, caveat);
        }
        return super._update(to, tokenId, auth);
    }

    function _v2() private pure returns (TitleRegistryV2Storage storage $) {
        assembly {
            $.slot := V2_STORAGE
        }
    }
}
