// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {CityRoles} from "../access/CityRoles.sol";
import {CityManaged} from "../common/CityManaged.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice The city's register of persons, enterprises and agencies. A subject is a salted
/// commitment `keccak256(abi.encodePacked(salt, officialId))`: the official id never touches the
/// chain. Each subject has one controller wallet (and each wallet controls at most one subject),
/// a kind and a status lifecycle (Active <-> Suspended -> Closed, Closed is final) that only the
/// identity office changes, always with a reason code.
///
/// Keys: the controller hands its identity to a new wallet in two steps (propose, the new
/// wallet accepts); a lost or stolen key is recovered by the identity
/// office in two steps separated by `recoveryDelay()`, during which the current controller (while
/// the identity is Active), any guardian or the identity office can cancel. Suspending the
/// identity first stops a thief holding the controller key from cancelling or rotating.
///
/// Rules, in one place:
/// 1. One wallet controls at most one identity; an identity has exactly one controller.
/// 2. Rotation takes two steps and the new wallet's consent: the controller of an Active
///    identity proposes a wallet (`proposeController`), that wallet accepts
///    (`acceptController`). At acceptance the identity must still be Active and the wallet
///    still free. Until then nothing moves, so no controller can push an identity onto a
///    wallet it does not hold (e.g. to squat the target of a pending recovery or a wallet the
///    office is about to register). The controller may cancel its proposal
///    (`cancelControllerProposal`); a new proposal replaces (and reports as cancelled) the
///    previous one; suspending or closing the identity and a completed recovery clear a
///    pending proposal.
/// 3. Recovery: the identity office initiates, anyone completes after `recoveryDelay()`; the
///    Active controller, a guardian or the office cancels. Initiating again replaces the
///    pending recovery, which is reported as cancelled (`RecoveryCancelled`).
/// 4. Status changes (Active <-> Suspended, either -> Closed; Closed is final) are the
///    identity office's, always with a reason code.
/// 5. Stopping (CityManaged's story): a pause by the guardian stops every state-changing
///    function except `cancelRecovery`, which continues during a pause (a victim must always
///    be able to stop a recovery of its identity; cancelling moves no control). Closing the
///    registry in the AccessManager stops every state-changing function, `cancelRecovery`
///    included (nothing can complete a recovery then either). Views always answer, so the
///    contracts that read identities go on working.
/// 6. Upgradeable behind a CityProxy (UUPS, UPGRADER role with the city's notice period); all
///    state lives in the ERC-7201 namespace `civic.IdentityRegistry`.
///
/// @dev Restricted functions (`restricted`, mapped by the deploy plan): `register`,
/// `registerBatch`, `setStatus`, `initiateRecovery` -> IDENTITY_OFFICE; `setRecoveryDelay` ->
/// ADMIN; CityManaged's `pause` -> GUARDIAN, `unpause` -> ADMIN, `upgradeToAndCall` -> UPGRADER.
/// `cancelRecovery` checks roles itself (several callers may cancel): the role must be held with
/// no execution delay (`_hasImmediateRole`). When a restricted call is executed through the
/// manager after a scheduled delay, `operator` in events is the manager; the scheduler is in its
/// `OperationScheduled` event.
contract IdentityRegistry is CityManaged, IIdentityRegistry {
    /// @custom:storage-location erc7201:civic.IdentityRegistry
    struct IdentityRegistryStorage {
        mapping(bytes32 subject => Identity) identities;
        mapping(address controller => bytes32 subject) subjects;
        mapping(bytes32 subject => PendingRecovery) recoveries;
        mapping(bytes32 subject => address newController) proposedControllers;
        uint64 recoveryDelay;
        uint256 identityCount;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.IdentityRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant IDENTITY_REGISTRY_STORAGE =
        0x716cfb16f0ef50fe55a1ce13fe3931a8733fb90eaedcec96f27807dac3a63e00;

    /// @notice Most registrations accepted by one `registerBatch` call (keeps it under ~8M gas).
    uint256 public constant MAX_BATCH_SIZE = 100;
    /// @notice Shortest recovery delay the admin may set.
    uint64 public constant MIN_RECOVERY_DELAY = 1 hours;
    /// @notice Longest recovery delay the admin may set.
    uint64 public constant MAX_RECOVERY_DELAY = 30 days;
    /// @notice Recovery delay set at initialisation.
    uint64 public constant INITIAL_RECOVERY_DELAY = 2 days;

    /// @notice Sets the authority and the initial recovery delay (once, via the proxy).
    /// @param initialAuthority The city's AccessManager.
    function initialize(address initialAuthority) external initializer {
        __CityManaged_init(initialAuthority);
        _s().recoveryDelay = INITIAL_RECOVERY_DELAY;
        emit RecoveryDelaySet(_msgSender(), INITIAL_RECOVERY_DELAY);
    }

    // ----------------------------------------------------------------------------------------
    // Identity office
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function register(bytes32 subject, address controller, Kind kind) external restricted whenNotPaused {
        _register(_s(), subject, controller, kind);
    }

    /// @inheritdoc IIdentityRegistry
    function registerBatch(Registration[] calldata registrations) external restricted whenNotPaused {
        uint256 size = registrations.length;
        _requireBatchSize(size, 1, MAX_BATCH_SIZE);
        IdentityRegistryStorage storage $ = _s();
        for (uint256 i = 0; i < size; ++i) {
            Registration calldata entry = registrations[i];
            _register($, entry.subject, entry.controller, entry.kind);
        }
    }

    /// @inheritdoc IIdentityRegistry
    function setStatus(bytes32 subject, Status newStatus, bytes32 reasonCode) external restricted whenNotPaused {
        if (reasonCode == bytes32(0)) revert IdentityMissingReason();
        IdentityRegistryStorage storage $ = _s();
        Identity storage identity = _requireKnown($, subject);
        Status current = identity.status;
        if (
            current == Status.Closed || newStatus == current || newStatus == Status.None
                || uint8(newStatus) > uint8(Status.Closed)
        ) {
            revert IdentityInvalidStatusTransition(subject, current, newStatus);
        }
        identity.status = newStatus;
        address operator = _msgSender();
        emit IdentityStatusChanged(subject, operator, current, newStatus, reasonCode);
        // A proposal made before a suspension (e.g. by a thief holding the key) does not survive it.
        address proposed = $.proposedControllers[subject];
        if (proposed != address(0) && newStatus != Status.Active) {
            delete $.proposedControllers[subject];
            emit ControllerProposalCancelled(subject, operator, proposed);
        }
    }

    /// @inheritdoc IIdentityRegistry
    function initiateRecovery(bytes32 subject, address newController) external restricted whenNotPaused {
        IdentityRegistryStorage storage $ = _s();
        Identity storage identity = _requireKnown($, subject);
        if (identity.status == Status.Closed) revert IdentityNotActive(subject, Status.Closed);
        _requireFreeController($, newController);
        address operator = _msgSender();
        PendingRecovery storage pending = $.recoveries[subject];
        if (pending.readyAt != 0) emit RecoveryCancelled(subject, operator, pending.newController);
        uint64 readyAt = uint64(block.timestamp) + $.recoveryDelay;
        pending.newController = newController;
        pending.readyAt = readyAt;
        emit RecoveryInitiated(subject, operator, newController, readyAt);
    }

    /// @inheritdoc IIdentityRegistry
    function setRecoveryDelay(uint64 delay) external restricted whenNotPaused {
        if (delay < MIN_RECOVERY_DELAY || delay > MAX_RECOVERY_DELAY) {
            revert IdentityRecoveryDelayOutOfRange(delay);
        }
        _s().recoveryDelay = delay;
        emit RecoveryDelaySet(_msgSender(), delay);
    }

    // ----------------------------------------------------------------------------------------
    // Anyone / controllers / guardians
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function completeRecovery(bytes32 subject) external whenOpen {
        IdentityRegistryStorage storage $ = _s();
        PendingRecovery memory pending = $.recoveries[subject];
        if (pending.readyAt == 0) revert IdentityNoPendingRecovery(subject);
        if (block.timestamp < pending.readyAt) revert IdentityRecoveryNotReady(subject, pending.readyAt);
        Identity storage identity = $.identities[subject];
        if (identity.status == Status.Closed) revert IdentityNotActive(subject, Status.Closed);
        _requireFreeController($, pending.newController);

        address previous = identity.controller;
        address operator = _msgSender();
        delete $.recoveries[subject];
        delete $.subjects[previous];
        $.subjects[pending.newController] = subject;
        identity.controller = pending.newController;
        emit RecoveryCompleted(subject, operator, pending.newController, previous);
        address proposed = $.proposedControllers[subject];
        if (proposed != address(0)) {
            delete $.proposedControllers[subject];
            emit ControllerProposalCancelled(subject, operator, proposed);
        }
    }

    /// @inheritdoc IIdentityRegistry
    /// @dev Continues during a pause (rule 5); stopped only when the registry is closed.
    function cancelRecovery(bytes32 subject) external whenNotClosed {
        IdentityRegistryStorage storage $ = _s();
        PendingRecovery memory pending = $.recoveries[subject];
        if (pending.readyAt == 0) revert IdentityNoPendingRecovery(subject);
        address caller = _msgSender();
        Identity storage identity = $.identities[subject];
        bool isActiveController = caller == identity.controller && identity.status == Status.Active;
        if (!isActiveController && !_hasImmediateRole(CityRoles.GUARDIAN, caller)
            && !_hasImmediateRole(CityRoles.IDENTITY_OFFICE, caller)) {
            revert IdentityUnauthorizedCancel(subject, caller);
        }
        delete $.recoveries[subject];
        emit RecoveryCancelled(subject, caller, pending.newController);
    }

    /// @inheritdoc IIdentityRegistry
    function proposeController(address newController) external whenOpen {
        IdentityRegistryStorage storage $ = _s();
        address caller = _msgSender();
        bytes32 subject = _activeSubjectOf($, caller);
        _requireFreeController($, newController);
        address previous = $.proposedControllers[subject];
        if (previous != address(0)) emit ControllerProposalCancelled(subject, caller, previous);
        $.proposedControllers[subject] = newController;
        emit ControllerProposed(subject, caller, newController);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelControllerProposal() external whenOpen {
        IdentityRegistryStorage storage $ = _s();
        address caller = _msgSender();
        bytes32 subject = $.subjects[caller];
        if (subject == bytes32(0)) revert IdentityNotController(caller);
        address proposed = $.proposedControllers[subject];
        if (proposed == address(0)) revert IdentityNoControllerProposal(subject);
        delete $.proposedControllers[subject];
        emit ControllerProposalCancelled(subject, caller, proposed);
    }

    /// @inheritdoc IIdentityRegistry
    function acceptController(bytes32 subject) external whenOpen {
        IdentityRegistryStorage storage $ = _s();
        address caller = _msgSender();
        if ($.proposedControllers[subject] != caller) revert IdentityNotProposedController(subject, caller);
        Identity storage identity = $.identities[subject];
        if (identity.status != Status.Active) revert IdentityNotActive(subject, identity.status);
        _requireFreeController($, caller);

        address previous = identity.controller;
        delete $.proposedControllers[subject];
        delete $.subjects[previous];
        $.subjects[caller] = subject;
        identity.controller = caller;
        emit ControllerRotated(subject, caller, caller, previous);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function controllerOf(bytes32 subject) external view returns (address) {
        return _s().identities[subject].controller;
    }

    /// @inheritdoc IIdentityRegistry
    function activeControllerOf(bytes32 subject) external view returns (address) {
        Identity storage identity = _s().identities[subject];
        return identity.status == Status.Active ? identity.controller : address(0);
    }

    /// @inheritdoc IIdentityRegistry
    function subjectOf(address controller) external view returns (bytes32) {
        return _s().subjects[controller];
    }

    /// @inheritdoc IIdentityRegistry
    function kindOf(bytes32 subject) external view returns (Kind) {
        return _s().identities[subject].kind;
    }

    /// @inheritdoc IIdentityRegistry
    function statusOf(bytes32 subject) external view returns (Status) {
        return _s().identities[subject].status;
    }

    /// @inheritdoc IIdentityRegistry
    function isActive(bytes32 subject) external view returns (bool) {
        return _s().identities[subject].status == Status.Active;
    }

    /// @inheritdoc IIdentityRegistry
    function identityOf(bytes32 subject) external view returns (Identity memory) {
        return _s().identities[subject];
    }

    /// @inheritdoc IIdentityRegistry
    function pendingRecovery(bytes32 subject) external view returns (PendingRecovery memory) {
        return _s().recoveries[subject];
    }

    /// @inheritdoc IIdentityRegistry
    function proposedControllerOf(bytes32 subject) external view returns (address) {
        return _s().proposedControllers[subject];
    }

    /// @inheritdoc IIdentityRegistry
    function recoveryDelay() external view returns (uint64) {
        return _s().recoveryDelay;
    }

    /// @inheritdoc IIdentityRegistry
    function identityCount() external view returns (uint256) {
        return _s().identityCount;
    }

    // ----------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------

    function _register(IdentityRegistryStorage storage $, bytes32 subject, address controller, Kind kind) private {
        if (subject == bytes32(0)) revert IdentityZeroSubject();
        if (kind == Kind.None || uint8(kind) > uint8(Kind.Agency)) revert IdentityInvalidKind(kind);
        if ($.identities[subject].status != Status.None) revert IdentityAlreadyRegistered(subject);
        _requireFreeController($, controller);

        $.identities[subject] = Identity({
            controller: controller,
            kind: kind,
            status: Status.Active,
            registeredAt: uint64(block.timestamp)
        });
        $.subjects[controller] = subject;
        unchecked {
            ++$.identityCount;
        }
        emit IdentityRegistered(subject, _msgSender(), controller, kind);
    }

    /// @dev The identity controlled by `account`, which must be Active.
    function _activeSubjectOf(IdentityRegistryStorage storage $, address account) private view returns (bytes32 subject) {
        subject = $.subjects[account];
        if (subject == bytes32(0)) revert IdentityNotController(account);
        Status status = $.identities[subject].status;
        if (status != Status.Active) revert IdentityNotActive(subject, status);
    }

    function _requireKnown(IdentityRegistryStorage storage $, bytes32 subject)
        private
        view
        returns (Identity storage identity)
    {
        identity = $.identities[subject];
        if (identity.status == Status.None) revert IdentityUnknownSubject(subject);
    }

    function _requireFreeController(IdentityRegistryStorage storage $, address controller) private view {
        if (controller == address(0)) revert IdentityZeroController();
        if ($.subjects[controller] != bytes32(0)) revert IdentityControllerInUse(controller);
    }

    function _s() private pure returns (IdentityRegistryStorage storage $) {
        assembly {
            $.slot := IDENTITY_REGISTRY_STORAGE
        }
    }
}
