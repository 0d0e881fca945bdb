// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRecordRegistry} from "./IRecordRegistry.sol";

/// @title RecordLayouts
/// @notice The field-layout language of record schemas (RecordRegistry rule 2), parsed:
/// "<type> <name>,..." with static types only (uint8..uint256 and int8..int256 in steps of 8,
/// bool, bytes1..bytes32), identifier names, no name twice, at most MAX_FIELDS fields, spaces
/// around tokens allowed. The result is the field count and one type code per field, first field
/// in the highest byte: (kind << 5) | (bytes - 1), kind 1 uint, 2 int, 3 bool, 4 bytesN.
/// @dev Stateless and pure. Every RecordRegistry implementation creates its own RecordLayouts in
/// its constructor and calls it from `registerSchema` (the parser is part of that implementation
/// and is replaced with it by an upgrade); it is a contract of its own only to keep
/// RecordRegistry's code under the EIP-170 size limit; `check` (the data's ranges at issuance)
/// is here for the same reason. Errors are RecordRegistry's
/// (`RecordInvalidLayout(position)`, the byte offset of the first bad byte).
contract RecordLayouts {
    /// @notice Most fields in a layout (RecordRegistry.MAX_FIELDS: record data is at most 16 words).
    uint256 public constant MAX_FIELDS = 16;

    uint256 private constant _KIND_UINT = 1;
    uint256 private constant _KIND_INT = 2;
    uint256 private constant _KIND_BOOL = 3;
    uint256 private constant _KIND_BYTES = 4;

    /// @notice Parses `layout` (e.g. "uint16 year,bool compliant"); reverts
    /// RecordInvalidLayout(position) at the first bad byte. An empty layout has no fields.
    /// @return count The number of fields.
    /// @return codes One type code per field, first field in the highest byte.
    function parse(bytes calldata layout) external pure returns (uint8 count, bytes32 codes) {
        return _parseLayout(layout);
    }

    /// @notice Checks record data against a schema's type codes: one 32-byte word per field
    /// (the caller checked the length), each in range for its type (uintN < 2**N, intN
    /// sign-extended, bool 0 or 1, bytesN with its unused low bytes zero).
    /// @return bad The index of the first field out of range, type(uint256).max when none is.
    function check(bytes32 codes, bytes calldata data) external pure returns (uint256 bad) {
        uint256 count = data.length / 32;
        for (uint256 i = 0; i < count; ++i) {
            uint256 word = uint256(bytes32(data[i * 32:i * 32 + 32]));
            uint256 code = uint8(codes[i]);
            uint256 kind = code >> 5;
            uint256 bits = ((code & 31) + 1) * 8;
            bool ok;
            if (kind == _KIND_UINT) {
                ok = bits == 256 || word >> bits == 0;
            } else if (kind == _KIND_INT) {
                uint256 high = word >> (bits - 1);
                ok = bits == 256 || high == 0 || high == type(uint256).max >> (bits - 1);
            } else if (kind == _KIND_BOOL) {
                ok = word <= 1;
            } else {
                ok = bits == 256 || word << bits == 0;
            }
            if (!ok) return i;
        }
        return type(uint256).max;
    }

    function _parseLayout(bytes calldata layout) private pure returns (uint8 count, bytes32 codes) {
        uint256 length = layout.length;
        if (length == 0) return (0, bytes32(0));
        bytes32[MAX_FIELDS] memory names;
        uint256 i = 0;
        while (true) {
            i = _skipSpaces(layout, i);
            uint256 start = i;
            while (i < length && (_isDigit(layout[i]) || (layout[i] >= "a" && layout[i] <= "z"))) ++i;
            uint256 code = _typeCode(layout[start:i]);
            if (code == 0) revert IRecordRegistry.RecordInvalidLayout(start);
            if (i >= length || layout[i] != " ") revert IRecordRegistry.RecordInvalidLayout(i);
            i = _skipSpaces(layout, i);
            start = i;
            if (i >= length || !_isIdentifierStart(layout[i])) revert IRecordRegistry.RecordInvalidLayout(i);
            while (i < length && (_isIdentifierStart(layout[i]) || _isDigit(layout[i]))) ++i;
            bytes32 name = keccak256(layout[start:i]);
            if (count == MAX_FIELDS) revert IRecordRegistry.RecordInvalidLayout(start);
            for (uint256 j = 0; j < count; ++j) {
                if (names[j] == name) revert IRecordRegistry.RecordInvalidLayout(start);
            }
            names[count] = name;
            codes |= bytes32(code << (248 - 8 * uint256(count)));
            ++count;
            i = _skipSpaces(layout, i);
            if (i == length) break;
            if (layout[i] != ",") revert IRecordRegistry.RecordInvalidLayout(i);
            ++i;
        }
    }

    /// @dev (kind << 5) | (bytes - 1) for uint8..uint256, int8..int256, bool, bytes1..bytes32;
    /// 0 for anything else (string, bytes, address, arrays, bare uint/int...).
    function _typeCode(bytes calldata t) private pure returns (uint256) {
        uint256 length = t.length;
        if (length == 4 && bytes4(t) == "bool") return (_KIND_BOOL << 5);
        uint256 kind;
        uint256 prefix;
        if (length > 4 && bytes4(t[:4]) == "uint") (kind, prefix) = (_KIND_UINT, 4);
        else if (length > 3 && bytes3(t[:3]) == "int") (kind, prefix) = (_KIND_INT, 3);
        else if (length > 5 && bytes5(t[:5]) == "bytes") (kind, prefix) = (_KIND_BYTES, 5);
        else return 0;
        bytes calldata digits = t[prefix:];
        if (digits.length > 3 || digits[0] == "0") return 0;
        uint256 size = 0;
        for (uint256 i = 0; i < digits.length; ++i) {
            if (!_isDigit(digits[i])) return 0;
            size = size * 10 + (uint8(digits[i]) - 48);
        }
        if (kind == _KIND_BYTES) return size >= 1 && size <= 32 ? (kind << 5) | (size - 1) : 0;
        return size % 8 == 0 && size >= 8 && size <= 256 ? (kind << 5) | (size / 8 - 1) : 0;
    }

    function _skipSpaces(bytes calldata layout, uint256 i) private pure returns (uint256) {
        while (i < layout.length && layout[i] == " ") ++i;
        return i;
    }

    function _isDigit(bytes1 c) private pure returns (bool) {
        return c >= "0" && c <= "9";
    }

    function _isIdentifierStart(bytes1 c) private pure returns (bool) {
        return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_";
    }
}
