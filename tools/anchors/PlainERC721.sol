// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title PlainERC721
/// @notice Benchmark anchor only (never deployed by the city): OpenZeppelin 5.3.0's ERC721 with
/// an open mint, so `ape run bench` can price one plain `transferFrom` next to the title
/// registry's three-party sale. Compiled by tools/anchors/compile.js, not by `ape compile`.
contract PlainERC721 is ERC721 {
    constructor() ERC721("Plain ERC-721 anchor", "ANCHOR") {}

    /// @notice Mints `tokenId` to `to` (anyone may call: benchmark anchor).
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
