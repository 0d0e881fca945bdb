// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ERC20PermitUpgradeable} from
    "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20PermitUpgradeable.sol";
import {CityManaged} from "../common/CityManaged.sol";
import {ICityToken} from "./ICityToken.sol";

/// @title CityToken
/// @notice The city's settlement token (standing in for the digital yuan): property tax and
/// grant payouts are settled in it.
/// @dev Rules, in one place:
/// - Issuance: only the TREASURER mints and burns (`restricted`); the treasurer's members can
///   be given an execution delay so that every issuance is scheduled and cancellable.
/// - Transfers and permits are plain ERC-20 / EIP-2612 and are NOT stopped by `pause()`:
///   holders' money stays movable (pausing stops issuance only).
/// - Upgradeable behind a CityProxy (see CityManaged); its storage is OpenZeppelin's
///   namespaced ERC-20, EIP-712 and nonce storage, so the permit domain and every balance
///   survive upgrades.
contract CityToken is CityManaged, ERC20Upgradeable, ERC20PermitUpgradeable, ICityToken {
    /// @notice Sets the token's name, symbol, permit domain and authority (once, via the proxy).
    /// @param initialAuthority The city's AccessManager.
    function initialize(address initialAuthority) external initializer {
        __CityManaged_init(initialAuthority);
        __ERC20_init("City Settlement Token", "CITY");
        __ERC20Permit_init("City Settlement Token");
    }

    /// @inheritdoc ICityToken
    function mint(address to, uint256 amount) external restricted whenNotPaused {
        _mint(to, amount);
        emit CityTokenMinted(to, _msgSender(), amount);
    }

    /// @inheritdoc ICityToken
    function burnFrom(address from, uint256 amount) external restricted whenNotPaused {
        _spendAllowance(from, _msgSender(), amount);
        _burn(from, amount);
        emit CityTokenBurned(from, _msgSender(), amount);
    }

    /// @inheritdoc ICityToken
    function burn(uint256 amount) external restricted whenNotPaused {
        _burn(_msgSender(), amount);
        emit CityTokenBurned(_msgSender(), _msgSender(), amount);
    }
}
