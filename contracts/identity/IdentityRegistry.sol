// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {CityRoles} from "../access/CityRoles.sol";
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
///
/// @dev Restricted functions (`restricted`, mapped by the deploy plan): `register`,
/// `registerBatch`, `setStatus`, `initiateRecovery` -> IDENTITY_OFFICE; `setRecoveryDelay` ->
/// ADMIN. `cancelRecovery` checks roles itself (several callers may cancel): the role must be
/// held with no execution delay. When a restricted call is executed through the manager after a
/// scheduled delay, `operator` in events is the manager; the scheduler is in its
/// `OperationScheduled` event.
contract IdentityRegistry is IIdentityRegistry, AccessManaged {
    /// @notice One registration in a batch.
    struct Registration {
        bytes32 subject;
        address controller;
        Kind kind;
    }

    /// @notice Everything the registry stores about a subject (one storage slot).
    struct Identity {
        address controller;
        Kind kind;
        Status status;
        uint64 registeredAt;
    }

    /// @notice A recovery started by the identity office.
    struct PendingRecovery {
        address newController;
        uint64 readyAt;
    }

    /// @notice Most registrations accepted by one `registerBatch` call (keeps it under ~8M gas).
    uint256 public constant MAX_BATCH_SIZE = 100;
    /// @notice Shortest recovery delay the admin may set.
    uint64 public constant MIN_RECOVERY_DELAY = 1 hours;
    /// @notice Longest recovery delay the admin may set.
    uint64 public constant MAX_RECOVERY_DELAY = 30 days;

    mapping(bytes32 subject => Identity) private _identities;
    mapping(address controller => bytes32 subject) private _subjects;
    mapping(bytes32 subject => PendingRecovery) private _recoveries;
    mapping(bytes32 subject => address newController) private _proposedControllers;
    uint64 private _recoveryDelay;
    uint256 private _identityCount;

    /// @notice `subject` was registered with `controller` as its wallet.
    event IdentityRegistered(
        bytes32 indexed subject, address indexed controller, Kind kind, address indexed operator
    );
    /// @notice The identity office moved `subject` from status `from` to `to`.
    event IdentityStatusChanged(
        bytes32 indexed subject, Status from, Status to, bytes32 reasonCode, address indexed operator
    );
    /// @notice Control of `subject` passed to `newController`, which accepted the previous
    /// controller's proposal (`operator` is the new controller).
    event ControllerRotated(
        bytes32 indexed subject, address previousController, address indexed newController, address indexed operator
    );
    /// @notice The identity office started a recovery of `subject` to `newController`.
    event RecoveryInitiated(
        bytes32 indexed subject, address indexed newController, uint64 readyAt, address indexed operator
    );
    /// @notice A recovery of `subject` took effect.
    event RecoveryCompleted(
        bytes32 indexed subject, address previousController, address indexed newController, address indexed operator
    );
    /// @notice A pending recovery of `subject` was cancelled.
    event RecoveryCancelled(bytes32 indexed subject, address newController, address indexed operator);
    /// @notice The admin changed the recovery delay.
    event RecoveryDelaySet(uint64 delay, address indexed operator);
    /// @notice The controller `operator` of `subject` proposed handing control to
    /// `newController`, which must accept (`acceptController`) before anything changes.
    event ControllerProposed(bytes32 indexed subject, address indexed operator, address indexed newController);
    /// @notice The proposal to hand control of `subject` to `newController` was withdrawn (by the
    /// controller, replaced by a new proposal, or cleared by a completed recovery).
    event ControllerProposalCancelled(bytes32 indexed subject, address indexed operator, address newController);

    /// @notice The subject commitment is zero.
    error IdentityZeroSubject();
    /// @notice The controller address is zero.
    error IdentityZeroController();
    /// @notice The kind must be person, enterprise or agency.
    error IdentityInvalidKind(Kind kind);
    /// @notice This subject is already registered.
    error IdentityAlreadyRegistered(bytes32 subject);
    /// @notice This wallet already controls another identity (one identity per wallet).
    error IdentityControllerInUse(address controller);
    /// @notice No identity is registered under this subject.
    error IdentityUnknownSubject(bytes32 subject);
    /// @notice This account controls no identity.
    error IdentityNotController(address account);
    /// @notice This status change is not allowed (active <-> suspended, either -> closed; closed is final).
    error IdentityInvalidStatusTransition(bytes32 subject, Status from, Status to);
    /// @notice A status change needs a non-zero reason code.
    error IdentityMissingReason();
    /// @notice The identity's status (1 active, 2 suspended, 3 closed) does not allow this action.
    error IdentityNotActive(bytes32 subject, Status status);
    /// @notice This identity has no pending recovery.
    error IdentityNoPendingRecovery(bytes32 subject);
    /// @notice The recovery delay has not passed yet; the recovery takes effect at readyAt (unix time).
    error IdentityRecoveryNotReady(bytes32 subject, uint64 readyAt);
    /// @notice Only the active identity's controller, a guardian or the identity office may cancel a recovery.
    error IdentityUnauthorizedCancel(bytes32 subject, address account);
    /// @notice A batch must hold between 1 and max registrations.
    error IdentityInvalidBatchSize(uint256 size, uint256 max);
    /// @notice The recovery delay must be between 1 hour and 30 days.
    error IdentityRecoveryDelayOutOfRange(uint64 delay);
    /// @notice Only the wallet proposed by the identity's controller may accept control of it.
    error IdentityNotProposedController(bytes32 subject, address account);
    /// @notice The identity has no pending controller proposal.
    error IdentityNoControllerProposal(bytes32 subject);

    /// @param initialAuthority The city's AccessManager.
    constructor(address initialAuthority) AccessManaged(initialAuthority) {
        _recoveryDelay = 2 days;
        emit RecoveryDelaySet(2 days, _msgSender());
    }

    // ----------------------------------------------------------------------------------------
    // Identity office
    // ----------------------------------------------------------------------------------------

    /// @notice Registers `subject` (a salted commitment) as an Active identity of `kind`
    /// controlled by `controller`. Identity office only.
    /// @param subject keccak256(abi.encodePacked(salt, officialId)); never the id itself.
    /// @param controller The wallet that will act for the subject; must control no other subject.
    /// @param kind Person, Enterprise or Agency.
    function register(bytes32 subject, address controller, Kind kind) external restricted {
        _register(subject, controller, kind);
    }

    /// @notice Registers up to MAX_BATCH_SIZE identities in one transaction; reverts as a whole
    /// if any entry is invalid. Identity office only.
    /// @param registrations The (subject, controller, kind) entries.
    function registerBatch(Registration[] calldata registrations) external restricted {
        uint256 size = registrations.length;
        if (size == 0 || size > MAX_BATCH_SIZE) revert IdentityInvalidBatchSize(size, MAX_BATCH_SIZE);
        for (uint256 i = 0; i < size; ++i) {
            Registration calldata entry = registrations[i];
            _register(entry.subject, entry.controller, entry.kind);
        }
    }

    /// @notice Changes the status of `subject`: Active <-> Suspended, Active|Suspended -> Closed.
    /// Closed is final. Identity office only.
    /// @param reasonCode A non-zero code (e.g. a short ASCII label or the hash of a case file).
    function setStatus(bytes32 subject, Status newStatus, bytes32 reasonCode) external restricted {
        if (reasonCode == bytes32(0)) revert IdentityMissingReason();
        Identity storage identity = _requireKnown(subject);
        Status current = identity.status;
        if (
            current == Status.Closed || newStatus == current || newStatus == Status.None
                || uint8(newStatus) > uint8(Status.Closed)
        ) {
            revert IdentityInvalidStatusTransition(subject, current, newStatus);
        }
        identity.status = newStatus;
        address operator = _msgSender();
        emit IdentityStatusChanged(subject, current, newStatus, reasonCode, operator);
        // A proposal made before a suspension (e.g. by a thief holding the key) does not survive it.
        address proposed = _proposedControllers[subject];
        if (proposed != address(0) && newStatus != Status.Active) {
            delete _proposedControllers[subject];
            emit ControllerProposalCancelled(subject, operator, proposed);
        }
    }

    /// @notice Starts handing control of `subject` to `newController`; it takes effect after
    /// `recoveryDelay()` through `completeRecovery`. Replaces (and restarts) any pending
    /// recovery. Identity office only.
    function initiateRecovery(bytes32 subject, address newController) external restricted {
        Identity storage identity = _requireKnown(subject);
        if (identity.status == Status.Closed) revert IdentityNotActive(subject, Status.Closed);
        _requireFreeController(newController);
        address operator = _msgSender();
        PendingRecovery storage pending = _recoveries[subject];
        if (pending.readyAt != 0) emit RecoveryCancelled(subject, pending.newController, operator);
        uint64 readyAt = uint64(block.timestamp) + _recoveryDelay;
        pending.newController = newController;
        pending.readyAt = readyAt;
        emit RecoveryInitiated(subject, newController, readyAt, operator);
    }

    /// @notice Sets the delay between `initiateRecovery` and `completeRecovery`. Admin only.
    /// Applies to recoveries initiated afterwards.
    function setRecoveryDelay(uint64 delay) external restricted {
        if (delay < MIN_RECOVERY_DELAY || delay > MAX_RECOVERY_DELAY) {
            revert IdentityRecoveryDelayOutOfRange(delay);
        }
        _recoveryDelay = delay;
        emit RecoveryDelaySet(delay, _msgSender());
    }

    // ----------------------------------------------------------------------------------------
    // Anyone / controllers / guardians
    // ----------------------------------------------------------------------------------------

    /// @notice Completes the pending recovery of `subject` once its delay has passed. Anyone may
    /// call it (the decision was taken by the identity office at initiation).
    function completeRecovery(bytes32 subject) external {
        PendingRecovery memory pending = _recoveries[subject];
        if (pending.readyAt == 0) revert IdentityNoPendingRecovery(subject);
        if (block.timestamp < pending.readyAt) revert IdentityRecoveryNotReady(subject, pending.readyAt);
        Identity storage identity = _identities[subject];
        if (identity.status == Status.Closed) revert IdentityNotActive(subject, Status.Closed);
        _requireFreeController(pending.newController);

        address previous = identity.controller;
        address operator = _msgSender();
        delete _recoveries[subject];
        delete _subjects[previous];
        _subjects[pending.newController] = subject;
        identity.controller = pending.newController;
        emit RecoveryCompleted(subject, previous, pending.newController, operator);
        address proposed = _proposedControllers[subject];
        if (proposed != address(0)) {
            delete _proposedControllers[subject];
            emit ControllerProposalCancelled(subject, operator, proposed);
        }
    }

    /// @notice Cancels the pending recovery of `subject`. Allowed to the current controller while
    /// the identity is Active, and to members (without execution delay) of GUARDIAN or
    /// IDENTITY_OFFICE.
    function cancelRecovery(bytes32 subject) external {
        PendingRecovery memory pending = _recoveries[subject];
        if (pending.readyAt == 0) revert IdentityNoPendingRecovery(subject);
        address caller = _msgSender();
        Identity storage identity = _identities[subject];
        bool isActiveController = caller == identity.controller && identity.status == Status.Active;
        if (!isActiveController && !_hasImmediateRole(CityRoles.GUARDIAN, caller)
            && !_hasImmediateRole(CityRoles.IDENTITY_OFFICE, caller)) {
            revert IdentityUnauthorizedCancel(subject, caller);
        }
        delete _recoveries[subject];
        emit RecoveryCancelled(subject, pending.newController, caller);
    }

    /// @notice Proposes handing control of the caller's identity to `newController` (a wallet
    /// controlling no identity), which takes effect when that wallet calls `acceptController`.
    /// The caller's identity must be Active. Replaces any pending proposal.
    /// @param newController The wallet that will control the identity once it accepts.
    function proposeController(address newController) external {
        address caller = _msgSender();
        bytes32 subject = _activeSubjectOf(caller);
        _requireFreeController(newController);
        address previous = _proposedControllers[subject];
        if (previous != address(0)) emit ControllerProposalCancelled(subject, caller, previous);
        _proposedControllers[subject] = newController;
        emit ControllerProposed(subject, caller, newController);
    }

    /// @notice Withdraws the caller's pending controller proposal (any status: a withdrawal never
    /// moves control).
    function cancelControllerProposal() external {
        address caller = _msgSender();
        bytes32 subject = _subjects[caller];
        if (subject == bytes32(0)) revert IdentityNotController(caller);
        address proposed = _proposedControllers[subject];
        if (proposed == address(0)) revert IdentityNoControllerProposal(subject);
        delete _proposedControllers[subject];
        emit ControllerProposalCancelled(subject, caller, proposed);
    }

    /// @notice Accepts control of `subject`, proposed to the caller by its controller. The
    /// identity must still be Active and the caller must still control no identity.
    /// @param subject The identity whose controller proposed the caller.
    function acceptController(bytes32 subject) external {
        address caller = _msgSender();
        if (_proposedControllers[subject] != caller) revert IdentityNotProposedController(subject, caller);
        Identity storage identity = _identities[subject];
        if (identity.status != Status.Active) revert IdentityNotActive(subject, identity.status);
        _requireFreeController(caller);

        address previous = identity.controller;
        delete _proposedControllers[subject];
        delete _subjects[previous];
        _subjects[caller] = subject;
        identity.controller = caller;
        emit ControllerRotated(subject, previous, caller, caller);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function controllerOf(bytes32 subject) external view returns (address) {
        return _identities[subject].controller;
    }

    /// @inheritdoc IIdentityRegistry
    function activeControllerOf(bytes32 subject) external view returns (address) {
        Identity storage identity = _identities[subject];
        return identity.status == Status.Active ? identity.controller : address(0);
    }

    /// @inheritdoc IIdentityRegistry
    function subjectOf(address controller) external view returns (bytes32) {
        return _subjects[controller];
    }

    /// @inheritdoc IIdentityRegistry
    function kindOf(bytes32 subject) external view returns (Kind) {
        return _identities[subject].kind;
    }

    /// @inheritdoc IIdentityRegistry
    function statusOf(bytes32 subject) external view returns (Status) {
        return _identities[subject].status;
    }

    /// @inheritdoc IIdentityRegistry
    function isActive(bytes32 subject) external view returns (bool) {
        return _identities[subject].status == Status.Active;
    }

    /// @notice Everything stored about `subject` (all zero if unregistered).
    function identityOf(bytes32 subject) external view returns (Identity memory) {
        return _identities[subject];
    }

    /// @notice The pending recovery of `subject` (readyAt == 0 when none).
    function pendingRecovery(bytes32 subject) external view returns (PendingRecovery memory) {
        return _recoveries[subject];
    }

    /// @notice The wallet the controller of `subject` proposed as its new controller (zero if none).
    function proposedControllerOf(bytes32 subject) external view returns (address) {
        return _proposedControllers[subject];
    }

    /// @notice Seconds between `initiateRecovery` and the earliest `completeRecovery`.
    function recoveryDelay() external view returns (uint64) {
        return _recoveryDelay;
    }

    /// @notice Number of identities ever registered.
    function identityCount() external view returns (uint256) {
        return _identityCount;
    }

    // ----------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------

    function _register(bytes32 subject, address controller, Kind kind) private {
        if (subject == bytes32(0)) revert IdentityZeroSubject();
        if (kind == Kind.None || uint8(kind) > uint8(Kind.Agency)) revert IdentityInvalidKind(kind);
        if (_identities[subject].status != Status.None) revert IdentityAlreadyRegistered(subject);
        _requireFreeController(controller);

        _identities[subject] = Identity({
            controller: controller,
            kind: kind,
            status: Status.Active,
            registeredAt: uint64(block.timestamp)
        });
        _subjects[controller] = subject;
        unchecked {
            ++_identityCount;
        }
        emit IdentityRegistered(subject, controller, kind, _msgSender());
    }

    /// @dev The identity controlled by `account`, which must be Active.
    function _activeSubjectOf(address account) private view returns (bytes32 subject) {
        subject = _subjects[account];
        if (subject == bytes32(0)) revert IdentityNotController(account);
        Status status = _identities[subject].status;
        if (status != Status.Active) revert IdentityNotActive(subject, status);
    }

    function _requireKnown(bytes32 subject) private view returns (Identity storage identity) {
        identity = _identities[subject];
        if (identity.status == Status.None) revert IdentityUnknownSubject(subject);
    }

    function _requireFreeController(address controller) private view {
        if (controller == address(0)) revert IdentityZeroController();
        if (_subjects[controller] != bytes32(0)) revert IdentityControllerInUse(controller);
    }

    /// @dev True when `account` holds `roleId` with no execution delay.
    function _hasImmediateRole(uint64 roleId, address account) private view returns (bool) {
        (bool isMember, uint32 executionDelay) = IAccessManager(authority()).hasRole(roleId, account);
        return isMember && executionDelay == 0;
    }
}
