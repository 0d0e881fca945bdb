// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessManagedUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/manager/AccessManagedUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {ICityManaged} from "./ICityManaged.sol";

/// @title CityManaged
/// @notice What every stateful contract of the city shares: its permissions come from the city's
/// AccessManager, it stops the same way, and it is upgraded the same way.
///
/// @dev Rules, in one place (they hold for every contract built on this base):
/// - Permissions: functions marked `restricted` are mapped by the deploy plan to one agency role
///   each in the AccessManager (grant and execution delays, guardian cancellation apply).
///   Functions open to the public or to the parties of a case check their callers themselves;
///   where such a check needs an agency role, the role must be held with NO execution delay
///   (`_hasImmediateRole`): a delayed member must go through the manager's schedule instead.
/// - Stopping: one story everywhere. The guardian `pause()`s, the admin `unpause()`s; the
///   AccessManager's `setTargetClosed` (the admin, after the target's admin delay) closes the
///   contract. A pause stops every state-changing function except those a contract's rules
///   block names as continuing during a pause, each with its reason (e.g. disputes: due
///   process; token transfers: holders' money). Closing stops every state-changing function
///   except token transfers. Functions that check their callers themselves carry `whenOpen`
///   (not paused, not closed), or `whenNotClosed` when they continue during a pause;
///   `restricted` functions carry `whenNotPaused` (the manager itself refuses them when the
///   target is closed). Views are never stopped.
/// - Upgrades: UUPS behind an ERC-1967 proxy. `upgradeToAndCall` is `restricted` and mapped to
///   the UPGRADER role, whose execution delay is the city's announced notice period: every
///   upgrade is scheduled in the manager (visible on chain, cancellable by the guardian) before
///   it can run. The implementation's constructor disables initializers, so an implementation
///   can never be initialised (or taken over) directly. State lives in ERC-7201 namespaced
///   structs, so an upgrade can append to them without colliding with inherited storage.
abstract contract CityManaged is
    Initializable,
    AccessManagedUpgradeable,
    PausableUpgradeable,
    UUPSUpgradeable,
    ICityManaged
{
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @dev Initialises the shared parts; call from the contract's `initialize`.
    function __CityManaged_init(address initialAuthority) internal onlyInitializing {
        __AccessManaged_init(initialAuthority);
        __Pausable_init();
        __UUPSUpgradeable_init();
    }

    /// @inheritdoc ICityManaged
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc ICityManaged
    function unpause() external restricted {
        _unpause();
    }

    /// @inheritdoc ICityManaged
    function isOpen() public view returns (bool) {
        return !paused() && !_isClosed();
    }

    /// @inheritdoc ICityManaged
    /// @dev "1.0.0", the first upgradeable release of every city contract. A new implementation
    /// overrides it with its own version (what `ape run admin access pending` shows before the
    /// upgrade runs).
    function version() external pure virtual returns (string memory) {
        return "1.0.0";
    }

    /// @dev Not paused and not closed by the AccessManager (for functions that check their
    /// callers themselves instead of through `restricted`).
    modifier whenOpen() {
        _requireOpen();
        _;
    }

    /// @dev Not closed by the AccessManager (for self-checked functions that continue during a
    /// pause, as the contract's rules block says).
    modifier whenNotClosed() {
        _requireNotClosed();
        _;
    }

    /// @dev The check behind `whenOpen` (one copy in the bytecode, not one per function).
    function _requireOpen() internal view {
        if (!isOpen()) revert CityContractStopped(address(this));
    }

    /// @dev The check behind `whenNotClosed` (one copy in the bytecode, not one per function).
    function _requireNotClosed() internal view {
        if (_isClosed()) revert CityContractStopped(address(this));
    }

    /// @dev The bound of every batch entry point: `min` <= `size` <= `max`, else
    /// CityInvalidBatchSize.
    function _requireBatchSize(uint256 size, uint256 min, uint256 max) internal pure {
        if (size < min || size > max) revert CityInvalidBatchSize(size, min, max);
    }

    /// @dev True when the AccessManager has closed this contract (`setTargetClosed`).
    function _isClosed() private view returns (bool) {
        return IAccessManager(authority()).isTargetClosed(address(this));
    }

    /// @dev True when `account` holds `roleId` with no execution delay.
    function _hasImmediateRole(uint64 roleId, address account) internal view returns (bool) {
        (bool isMember, uint32 executionDelay) = IAccessManager(authority()).hasRole(roleId, account);
        return isMember && executionDelay == 0;
    }

    /// @dev Upgrades go through the AccessManager (UPGRADER role, with the notice period as its
    /// execution delay): `restricted` checks the entry point `upgradeToAndCall`.
    function _authorizeUpgrade(address) internal override restricted {}
}
