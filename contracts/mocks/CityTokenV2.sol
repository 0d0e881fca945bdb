// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {CityToken} from "../property/CityToken.sol";

/// @title CityTokenV2 (test mock)
/// @notice A second release of CityToken for the upgrade tests: same storage, a new rule (a cap
/// on the supply the treasurer may reach) kept in its own ERC-7201 namespace.
contract CityTokenV2 is CityToken {
    /// @custom:storage-location erc7201:civic.CityTokenV2
    struct CityTokenV2Storage {
        uint256 cap;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.CityTokenV2")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant V2_STORAGE = 0x70a1d725dc5e18562f00fa095f25fd6cc00c04ec136c7a072ee35ff2e0a33300;

    /// @notice The supply would exceed the cap.
    error CityTokenCapExceeded(uint256 supply, uint256 cap);

    /// @notice Sets the supply cap (0 = none). Treasurer (mapped like mint).
    function setCap(uint256 cap) external restricted {
        _v2().cap = cap;
    }

    /// @notice The supply cap (0 = none).
    function cap() external view returns (uint256) {
        return _v2().cap;
    }

    /// @notice Minting refuses to pass the cap.
    function mintCapped(address to, uint256 amount) external restricted {
        uint256 limit = _v2().cap;
        if (limit != 0 && totalSupply() + amount > limit) revert CityTokenCapExceeded(totalSupply() + amount, limit);
        _mint(to, amount);
        emit CityTokenMinted(to, _msgSender(), amount);
    }

    /// @notice "2.0.0".
    function version() external pure override returns (string memory) {
        return "2.0.0";
    }

    function _v2() private pure returns (CityTokenV2Storage storage $) {
        assembly {
            $.slot := V2_STORAGE
        }
    }
}
