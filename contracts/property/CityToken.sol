// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

/// @title CityToken
/// @notice The city's settlement token (standing in for the digital yuan): property tax and
/// grant payouts are settled in it. Only the treasurer role mints and burns.
/// @dev `mint` and `burnFrom` are `restricted`: the manager maps them to TREASURER, whose
/// members can be given an execution delay so every issuance is scheduled and cancellable.
contract CityToken is ERC20, ERC20Permit, AccessManaged {
    /// @notice Tokens were created by the treasury.
    event CityTokenMinted(address indexed operator, address indexed to, uint256 amount);

    /// @notice Tokens were destroyed by the treasury.
    event CityTokenBurned(address indexed operator, address indexed from, uint256 amount);

    /// @param initialAuthority The city's AccessManager.
    constructor(address initialAuthority)
        ERC20("City Settlement Token", "CITY")
        ERC20Permit("City Settlement Token")
        AccessManaged(initialAuthority)
    {}

    /// @notice Creates `amount` tokens for `to`. Treasurer only.
    function mint(address to, uint256 amount) external restricted {
        _mint(to, amount);
        emit CityTokenMinted(_msgSender(), to, amount);
    }

    /// @notice Destroys `amount` of `from`'s tokens, spending the caller's allowance. Treasurer only.
    function burnFrom(address from, uint256 amount) external restricted {
        _spendAllowance(from, _msgSender(), amount);
        _burn(from, amount);
        emit CityTokenBurned(_msgSender(), from, amount);
    }

    /// @notice Destroys `amount` of the caller's own tokens. Treasurer only.
    function burn(uint256 amount) external restricted {
        _burn(_msgSender(), amount);
        emit CityTokenBurned(_msgSender(), _msgSender(), amount);
    }
}
