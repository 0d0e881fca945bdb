// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ICityToken
/// @notice The city's settlement token: ERC-20 with EIP-2612 permits; only the treasurer
/// creates and destroys it.
interface ICityToken {
    /// @notice `operator` (the treasurer) created `amount` tokens for `to`.
    event CityTokenMinted(address indexed to, address indexed operator, uint256 amount);

    /// @notice `operator` (the treasurer) destroyed `amount` of `from`'s tokens.
    event CityTokenBurned(address indexed from, address indexed operator, uint256 amount);

    /// @notice Creates `amount` tokens for `to`. Treasurer only.
    function mint(address to, uint256 amount) external;

    /// @notice Destroys `amount` of `from`'s tokens, spending the caller's allowance. Treasurer only.
    function burnFrom(address from, uint256 amount) external;

    /// @notice Destroys `amount` of the caller's own tokens. Treasurer only.
    function burn(uint256 amount) external;
}
