// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IIdentityRegistry
/// @notice The city's register of persons, enterprises and agencies: its vocabulary (kinds,
/// statuses, events, errors) and every function. Other city contracts read it (the views
/// below); subjects are salted commitments (`keccak256(abi.encodePacked(salt, officialId))`):
/// no personal data on chain. Events name the object first, then the acting account
/// (`operator`), then the data.
interface IIdentityRegistry {
    // ------------------------------------------------------------------------------ types

    /// @notice What an identity stands for.
    enum Kind {
        None,
        Person,
        Enterprise,
        Agency
    }

    /// @notice Lifecycle of an identity, changed only by the identity office.
    enum Status {
        None,
        Active,
        Suspended,
        Closed
    }

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

    // ------------------------------------------------------------------------------ events

    /// @notice `operator` (the identity office) registered `subject` with `controller` as its
    /// wallet.
    event IdentityRegistered(bytes32 indexed subject, address indexed operator, address indexed controller, Kind kind);

    /// @notice `operator` (the identity office) moved `subject` from status `from` to `to`.
    event IdentityStatusChanged(
        bytes32 indexed subject, address indexed operator, Status from, Status to, bytes32 reasonCode
    );

    /// @notice Control of `subject` passed from `previousController` to `newController`, which
    /// accepted the previous controller's proposal (`operator` is the new controller).
    event ControllerRotated(
        bytes32 indexed subject, address indexed operator, address indexed newController, address previousController
    );

    /// @notice `operator` (the identity office) started a recovery of `subject` to
    /// `newController`, which can complete at `readyAt`.
    event RecoveryInitiated(
        bytes32 indexed subject, address indexed operator, address indexed newController, uint64 readyAt
    );

    /// @notice A recovery of `subject` took effect: `newController` replaced
    /// `previousController` (`operator` completed it).
    event RecoveryCompleted(
        bytes32 indexed subject, address indexed operator, address indexed newController, address previousController
    );

    /// @notice `operator` cancelled the pending recovery of `subject` to `newController` (or the
    /// identity office replaced it with a new one).
    event RecoveryCancelled(bytes32 indexed subject, address indexed operator, address newController);

    /// @notice `operator` (the admin; the deployer at initialisation) set the recovery delay.
    event RecoveryDelaySet(address indexed operator, uint64 delay);

    /// @notice The controller `operator` of `subject` proposed handing control to
    /// `newController`, which must accept (`acceptController`) before anything changes.
    event ControllerProposed(bytes32 indexed subject, address indexed operator, address indexed newController);

    /// @notice The proposal to hand control of `subject` to `newController` was withdrawn (by the
    /// controller, replaced by a new proposal, or cleared by a suspension, a closure or a
    /// completed recovery).
    event ControllerProposalCancelled(bytes32 indexed subject, address indexed operator, address newController);

    // ------------------------------------------------------------------------------ errors

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
    /// @notice The recovery delay must be between 1 hour and 30 days.
    error IdentityRecoveryDelayOutOfRange(uint64 delay);
    /// @notice Only the wallet proposed by the identity's controller may accept control of it.
    error IdentityNotProposedController(bytes32 subject, address account);
    /// @notice The identity has no pending controller proposal.
    error IdentityNoControllerProposal(bytes32 subject);

    // ------------------------------------------------------------------------------ identity office

    /// @notice Registers `subject` (a salted commitment) as an Active identity of `kind`
    /// controlled by `controller`. Identity office only.
    /// @param subject keccak256(abi.encodePacked(salt, officialId)); never the id itself.
    /// @param controller The wallet that will act for the subject; must control no other subject.
    /// @param kind Person, Enterprise or Agency.
    function register(bytes32 subject, address controller, Kind kind) external;

    /// @notice Registers up to MAX_BATCH_SIZE identities in one transaction; reverts as a whole
    /// if any entry is invalid. Identity office only.
    /// @param registrations The (subject, controller, kind) entries.
    function registerBatch(Registration[] calldata registrations) external;

    /// @notice Changes the status of `subject`: Active <-> Suspended, Active|Suspended -> Closed.
    /// Closed is final. Identity office only.
    /// @param reasonCode A non-zero code (e.g. a short ASCII label or the hash of a case file).
    function setStatus(bytes32 subject, Status newStatus, bytes32 reasonCode) external;

    /// @notice Starts handing control of `subject` to `newController`; it takes effect after
    /// `recoveryDelay()` through `completeRecovery`. Replaces (and restarts) any pending
    /// recovery. Identity office only.
    function initiateRecovery(bytes32 subject, address newController) external;

    /// @notice Sets the delay between `initiateRecovery` and `completeRecovery`. Admin only.
    /// Applies to recoveries initiated afterwards.
    function setRecoveryDelay(uint64 delay) external;

    // ------------------------------------------------------------------------------ anyone / controllers / guardians

    /// @notice Completes the pending recovery of `subject` once its delay has passed. Anyone may
    /// call it (the decision was taken by the identity office at initiation).
    function completeRecovery(bytes32 subject) external;

    /// @notice Cancels the pending recovery of `subject`. Allowed to the current controller while
    /// the identity is Active, and to members (without execution delay) of GUARDIAN or
    /// IDENTITY_OFFICE. Continues while the registry is paused.
    function cancelRecovery(bytes32 subject) external;

    /// @notice Proposes handing control of the caller's identity to `newController` (a wallet
    /// controlling no identity), which takes effect when that wallet calls `acceptController`.
    /// The caller's identity must be Active. Replaces any pending proposal.
    /// @param newController The wallet that will control the identity once it accepts.
    function proposeController(address newController) external;

    /// @notice Withdraws the caller's pending controller proposal (any status: a withdrawal never
    /// moves control).
    function cancelControllerProposal() external;

    /// @notice Accepts control of `subject`, proposed to the caller by its controller. The
    /// identity must still be Active and the caller must still control no identity.
    /// @param subject The identity whose controller proposed the caller.
    function acceptController(bytes32 subject) external;

    // ------------------------------------------------------------------------------ views

    /// @notice The wallet currently controlling `subject` (zero if unknown).
    function controllerOf(bytes32 subject) external view returns (address);

    /// @notice The wallet controlling `subject` while it is Active; zero when it is unknown,
    /// suspended or closed. Use it for every "the subject itself acts" check: a suspended
    /// identity (e.g. a reported stolen key) can then do nothing until reinstated or recovered.
    function activeControllerOf(bytes32 subject) external view returns (address);

    /// @notice The identity controlled by `controller` (zero if none).
    function subjectOf(address controller) external view returns (bytes32);

    /// @notice The kind of `subject` (None if unregistered).
    function kindOf(bytes32 subject) external view returns (Kind);

    /// @notice The status of `subject` (None if unregistered).
    function statusOf(bytes32 subject) external view returns (Status);

    /// @notice True when `subject` is registered and Active.
    function isActive(bytes32 subject) external view returns (bool);

    /// @notice Everything stored about `subject` (all zero if unregistered).
    function identityOf(bytes32 subject) external view returns (Identity memory);

    /// @notice The pending recovery of `subject` (readyAt == 0 when none).
    function pendingRecovery(bytes32 subject) external view returns (PendingRecovery memory);

    /// @notice The wallet the controller of `subject` proposed as its new controller (zero if none).
    function proposedControllerOf(bytes32 subject) external view returns (address);

    /// @notice Seconds between `initiateRecovery` and the earliest `completeRecovery`.
    function recoveryDelay() external view returns (uint64);

    /// @notice Number of identities ever registered.
    function identityCount() external view returns (uint256);
}
