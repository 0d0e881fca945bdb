// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IDataExchange
/// @notice The city's data exchange between agencies: its vocabulary (resources, requests and
/// grants, consents, exemptions, receipt batches, deletion requests, events, errors) and every
/// function. Agencies are AccessManager roles; subjects are IdentityRegistry commitments.
/// Events name the object(s) first, then the acting account (`operator`), then the data.
interface IDataExchange {
    // ------------------------------------------------------------------------------ types

    /// @notice Who may receive a resource: any agency at once, each request approved by the
    /// owner, or nobody.
    enum SharingClass {
        Open,
        Conditional,
        NotShareable
    }

    /// @notice Where a request stands. A granted request is the grant (same id).
    enum RequestStatus {
        None,
        Pending,
        Granted,
        Denied
    }

    /// @notice The lawful basis of a grant of personal data (None: not personal data).
    enum Basis {
        None,
        Consent,
        Exemption
    }

    /// @notice Where a legal-basis exemption stands (Overturned: void from the ruling on).
    enum ExemptionStatus {
        None,
        Active,
        Disputed,
        Upheld,
        Overturned
    }

    /// @notice What a data steward registers (the first version included).
    struct ResourceInput {
        /// The owner agency: the role whose data stewards act for the resource.
        uint64 ownerRole;
        SharingClass sharing;
        bool personal;
        /// Seconds a recipient has to confirm a deletion request.
        uint32 deletionPeriod;
        /// Hash of the regulation clause the owner holds the data under.
        bytes32 mandateHash;
        bytes32 descriptionHash;
        /// Content and field-schema hashes of version 1.
        bytes32 contentHash;
        bytes32 schemaHash;
    }

    /// @notice A registered resource (one slot plus two hashes).
    struct Resource {
        uint64 ownerRole;
        uint64 registeredAt;
        uint32 deletionPeriod;
        uint32 versionCount;
        SharingClass sharing;
        bool personal;
        bool retired;
        bytes32 mandateHash;
        bytes32 descriptionHash;
    }

    /// @notice One version of a resource: its field schema, and its content's hash (zero for
    /// a dataset that keeps changing, e.g. a live register, described by its schema only).
    struct Version {
        bytes32 contentHash;
        bytes32 schemaHash;
    }

    /// @notice What a requesting agency submits. `legalBasisHash` and `fieldsHash` are logged
    /// in `DataRequested`, not stored.
    struct RequestInput {
        uint64 resourceId;
        /// The requesting agency (the requester must hold this role).
        uint64 recipientRole;
        /// The subject the request is about (zero: none; required for personal data).
        bytes32 subject;
        uint16 purpose;
        /// Seconds the grant runs from its grant time.
        uint64 duration;
        bytes32 legalBasisHash;
        /// Hash of the subset of the schema's fields requested.
        bytes32 fieldsHash;
        /// An exemption (recorded beforehand) as the lawful basis, or 0.
        uint64 exemptionId;
    }

    /// @notice A stored request / grant. The first slot is the request, the second the grant.
    struct Request {
        uint64 resourceId;
        uint64 recipientRole;
        uint64 requestedAt;
        uint32 duration;
        uint16 purpose;
        RequestStatus status;
        Basis basis;
        uint64 grantedAt;
        uint64 expiresAt;
        uint64 revokedAt;
        /// When the lawful basis (consent or exemption) ends; caps the grant's expiry.
        uint64 basisExpiresAt;
        bytes32 subject;
        /// The consent's EIP-712 digest, or the exemption id.
        bytes32 basisId;
    }

    /// @notice What a subject's controller signs (EIP-712 type `Consent`).
    struct Consent {
        bytes32 subject;
        uint64 resourceId;
        uint64 recipientRole;
        uint16 purpose;
        uint64 expiresAt;
        /// Any value: distinguishes consents to the same terms (e.g. one given again after a
        /// revocation).
        bytes32 salt;
    }

    /// @notice What an exemption officer records.
    struct ExemptionInput {
        bytes32 subject;
        uint64 resourceId;
        uint64 recipientRole;
        uint16 purpose;
        uint64 expiresAt;
        bytes32 legalBasisHash;
    }

    /// @notice A recorded legal-basis exemption.
    struct Exemption {
        uint64 resourceId;
        uint64 recipientRole;
        uint64 recordedAt;
        uint64 expiresAt;
        address officer;
        uint16 purpose;
        ExemptionStatus status;
        bytes32 subject;
        bytes32 legalBasisHash;
    }

    /// @notice One delivery of data under a grant (a Merkle leaf; never stored on chain).
    struct Receipt {
        uint64 grantId;
        /// The subject the delivered data is about, or zero.
        bytes32 subject;
        bytes32 payloadHash;
        uint64 deliveredAt;
    }

    /// @notice An anchored batch of receipts (one slot, keyed by its Merkle root).
    struct Batch {
        uint64 agencyRole;
        uint64 anchoredAt;
        uint32 leafCount;
    }

    /// @notice A deletion request on a grant (one slot).
    struct Deletion {
        uint64 requestedAt;
        uint64 dueAt;
        uint64 confirmedAt;
    }

    // ------------------------------------------------------------------------------ events

    /// @notice `operator` (a data steward of `ownerRole`) registered resource `resourceId`.
    event ResourceRegistered(
        uint64 indexed resourceId,
        address indexed operator,
        uint64 ownerRole,
        SharingClass sharing,
        bool personal,
        uint32 deletionPeriod,
        bytes32 mandateHash,
        bytes32 descriptionHash
    );

    /// @notice `operator` added `version` (1 on registration) of resource `resourceId`.
    event ResourceVersionAdded(
        uint64 indexed resourceId, uint32 indexed version, address indexed operator, bytes32 contentHash, bytes32 schemaHash
    );

    /// @notice `operator` retired resource `resourceId`: no new requests, and its grants end.
    event ResourceRetired(uint64 indexed resourceId, address indexed operator, bytes32 reasonHash);

    /// @notice `operator` (a requester of `recipientRole`) requested resource `resourceId`.
    event DataRequested(
        uint64 indexed requestId,
        uint64 indexed resourceId,
        address indexed operator,
        uint64 recipientRole,
        bytes32 subject,
        uint16 purpose,
        uint64 duration,
        bytes32 legalBasisHash,
        bytes32 fieldsHash,
        Basis basis,
        bytes32 basisId
    );

    /// @notice Request `grantId` became a grant until `expiresAt`: at once for an open resource
    /// (`operator` the requester), on approval for a conditional one (`operator` the steward).
    event GrantIssued(uint64 indexed grantId, uint64 indexed resourceId, address indexed operator, uint64 expiresAt, uint16 reasonCode);

    /// @notice The owner's steward `operator` denied request `requestId` with `reasonCode`.
    event RequestDenied(uint64 indexed requestId, uint64 indexed resourceId, address indexed operator, uint16 reasonCode);

    /// @notice Grant `grantId` ended before its expiry: revoked by the owner's steward, or by a
    /// deletion request (`reasonCode` 0).
    event GrantRevoked(uint64 indexed grantId, uint64 indexed resourceId, address indexed operator, uint16 reasonCode);

    /// @notice The subject's controller `operator` revoked consent `consentId`.
    event ConsentRevoked(bytes32 indexed consentId, bytes32 indexed subject, address indexed operator);

    /// @notice The exemption officer `operator` recorded exemption `exemptionId` about `subject`.
    event ExemptionRecorded(
        uint64 indexed exemptionId,
        bytes32 indexed subject,
        address indexed operator,
        uint64 resourceId,
        uint64 recipientRole,
        uint16 purpose,
        uint64 expiresAt,
        bytes32 legalBasisHash
    );

    /// @notice The subject's controller `operator` disputed exemption `exemptionId`.
    event ExemptionDisputed(uint64 indexed exemptionId, bytes32 indexed subject, address indexed operator, bytes32 evidenceHash);

    /// @notice The arbiter `operator` ruled on the dispute of exemption `exemptionId`.
    event ExemptionDisputeResolved(
        uint64 indexed exemptionId, bytes32 indexed subject, address indexed operator, ExemptionStatus outcome, bytes32 rulingHash
    );

    /// @notice `operator` anchored a batch of `leafCount` receipts of agency `agencyRole`.
    event ReceiptsAnchored(bytes32 indexed root, uint64 indexed agencyRole, address indexed operator, uint32 leafCount);

    /// @notice `operator` (the subject's controller or the owner's steward) asked the recipient
    /// to delete the data delivered under grant `grantId` by `dueAt`.
    event DeletionRequested(uint64 indexed grantId, uint64 indexed resourceId, address indexed operator, uint64 dueAt, bytes32 reasonHash);

    /// @notice The recipient's requester `operator` confirmed the deletion under grant `grantId`.
    event DeletionConfirmed(uint64 indexed grantId, uint64 indexed resourceId, address indexed operator, bool overdue, bytes32 evidenceHash);

    // ------------------------------------------------------------------------------ errors

    /// @notice A required hash is zero, a period out of range, or a purpose zero.
    error DataInvalidInput();
    /// @notice A denial or revocation needs a non-zero reason code.
    error DataMissingReason();
    /// @notice ADMIN and PUBLIC cannot identify an agency.
    error DataInvalidAgencyRole(uint64 role);
    /// @notice `account` does not hold agency role `role` (with no execution delay).
    error DataUnauthorizedAgency(address account, uint64 role);
    /// @notice `account` is not the active controller of identity `subject`.
    error DataNotSubjectController(address account, bytes32 subject);
    /// @notice No resource with this id.
    error DataUnknownResource(uint64 resourceId);
    /// @notice The resource is retired.
    error DataResourceRetired(uint64 resourceId);
    /// @notice The resource is not shareable: every request is refused.
    error DataNotShareable(uint64 resourceId);
    /// @notice A request about personal data must name its subject.
    error DataSubjectRequired(uint64 resourceId);
    /// @notice Personal data needs consent or an exemption; other data takes neither.
    error DataInvalidBasis(uint64 resourceId);
    /// @notice The consent does not name this request's subject, resource, recipient and purpose.
    error DataConsentMismatch(bytes32 consentId);
    /// @notice The consent has expired, was revoked, or expires too far ahead.
    error DataConsentNotLive(bytes32 consentId);
    /// @notice The signature is not the subject's active controller's.
    error DataInvalidConsentSignature(bytes32 consentId);
    /// @notice No exemption with this id.
    error DataUnknownExemption(uint64 exemptionId);
    /// @notice The exemption does not cover this request, has expired or was overturned.
    error DataExemptionNotApplicable(uint64 exemptionId);
    /// @notice The exemption is not Active (only an Active one can be disputed) or not Disputed
    /// (only a Disputed one can be ruled on).
    error DataExemptionWrongStatus(uint64 exemptionId, ExemptionStatus status);
    /// @notice No request with this id.
    error DataUnknownRequest(uint64 requestId);
    /// @notice The request is not pending.
    error DataRequestNotPending(uint64 requestId);
    /// @notice The grant is not live (not granted, expired, revoked, or its basis ended).
    error DataGrantNotLive(uint64 grantId);
    /// @notice This root is already anchored.
    error DataBatchExists(bytes32 root);
    /// @notice The caller may not ask for deletion under this grant.
    error DataUnauthorizedDeletion(address account, uint64 grantId);
    /// @notice The grant already has a deletion request.
    error DataDeletionExists(uint64 grantId);
    /// @notice The grant has no open deletion request.
    error DataNoOpenDeletion(uint64 grantId);

    // ------------------------------------------------------------------------------ resources

    /// @notice Registers a resource of the caller's agency (`input.ownerRole`, which the caller
    /// must hold) with its version 1. Data steward.
    /// @return resourceId The new resource's id (1, 2, ...).
    function registerResource(ResourceInput calldata input) external returns (uint64 resourceId);

    /// @notice Adds the next version of resource `resourceId` (the owner's data steward).
    /// @return version The new version's number.
    function addVersion(uint64 resourceId, bytes32 contentHash, bytes32 schemaHash) external returns (uint32 version);

    /// @notice Retires resource `resourceId` (the owner's data steward): no new requests, and
    /// its grants are no longer live.
    function retireResource(uint64 resourceId, bytes32 reasonHash) external;

    // ------------------------------------------------------------------------------ requests

    /// @notice Requests a resource for the caller's agency (`input.recipientRole`): granted at
    /// once when open, pending when conditional, refused when not shareable. Personal data
    /// needs `input.exemptionId` (or `requestWithConsent`). Data requester.
    /// @return requestId The request's id (the grant's id once granted).
    function request(RequestInput calldata input) external returns (uint64 requestId);

    /// @notice `request` with the subject's consent: `signature` by the subject's active
    /// controller over `consent` (EIP-712), which must name the request's subject, resource,
    /// recipient and purpose. Data requester.
    /// @return requestId The request's id.
    function requestWithConsent(RequestInput calldata input, Consent calldata consent, bytes calldata signature)
        external
        returns (uint64 requestId);

    /// @notice Approves (`approve`) or denies a pending request of a conditional resource with
    /// `reasonCode` (non-zero for a denial). The owner's data steward.
    function decide(uint64 requestId, bool approve, uint16 reasonCode) external;

    /// @notice Ends grant `grantId` before its expiry with `reasonCode` (non-zero). The
    /// owner's data steward.
    function revokeGrant(uint64 grantId, uint16 reasonCode) external;

    // ------------------------------------------------------------------------------ subjects

    /// @notice Revokes `consent` (used or not): grants resting on it are no longer live, and
    /// it cannot be used again. The subject's active controller.
    function revokeConsent(Consent calldata consent) external;

    /// @notice Records a legal-basis exemption for the caller's agency (`input.recipientRole`,
    /// which the caller must hold), on a personal-data resource that is not retired. Exemption
    /// officer.
    /// @return exemptionId The exemption's id (1, 2, ...).
    function recordExemption(ExemptionInput calldata input) external returns (uint64 exemptionId);

    /// @notice Disputes an Active exemption about the caller's identity. The subject's active
    /// controller.
    function disputeExemption(uint64 exemptionId, bytes32 evidenceHash) external;

    /// @notice Rules on a disputed exemption: upheld, or overturned (void from now on). Arbiter.
    function resolveExemptionDispute(uint64 exemptionId, bool uphold, bytes32 rulingHash) external;

    // ------------------------------------------------------------------------------ receipts

    /// @notice Anchors a batch of receipts of agency `agencyRole` (which the caller must hold)
    /// as its Merkle root: one storage slot per batch. Receipts anchorer.
    function anchorReceipts(uint64 agencyRole, bytes32 root, uint32 leafCount) external;

    /// @notice True when `receipt` is a leaf of the anchored batch `root` (OpenZeppelin
    /// MerkleProof over double-hashed leaves, see `receiptLeaf`).
    function verifyReceipt(bytes32 root, Receipt calldata receipt, bytes32[] calldata proof) external view returns (bool);

    /// @notice The Merkle leaf of `receipt`: keccak256(keccak256(abi.encode(grantId, subject,
    /// payloadHash, deliveredAt))), as OpenZeppelin's StandardMerkleTree.
    function receiptLeaf(Receipt calldata receipt) external pure returns (bytes32);

    // ------------------------------------------------------------------------------ deletion

    /// @notice Asks the recipient to delete what it received under grant `grantId` within the
    /// resource's deletion period; ends the grant. The owner's data steward, or the subject's
    /// active controller for a consent-based grant.
    function requestDeletion(uint64 grantId, bytes32 reasonHash) external;

    /// @notice Confirms the deletion asked under grant `grantId` (late confirmations are
    /// accepted and reported as overdue). The recipient's data requester.
    function confirmDeletion(uint64 grantId, bytes32 evidenceHash) external;

    // ------------------------------------------------------------------------------ views

    /// @notice Resource `resourceId` (zeroes when unknown).
    function resourceOf(uint64 resourceId) external view returns (Resource memory);

    /// @notice Version `version` of resource `resourceId`.
    function versionOf(uint64 resourceId, uint32 version) external view returns (Version memory);

    /// @notice Request (or grant) `requestId`.
    function requestOf(uint64 requestId) external view returns (Request memory);

    /// @notice Exemption `exemptionId`.
    function exemptionOf(uint64 exemptionId) external view returns (Exemption memory);

    /// @notice The anchored batch with Merkle root `root` (anchoredAt 0: none).
    function batchOf(bytes32 root) external view returns (Batch memory);

    /// @notice The deletion request on grant `grantId` (requestedAt 0: none).
    function deletionOf(uint64 grantId) external view returns (Deletion memory);

    /// @notice True when a deletion was asked under `grantId`, is unconfirmed and past due.
    function deletionOverdue(uint64 grantId) external view returns (bool);

    /// @notice True while grant `grantId` may be used: granted, unexpired, unrevoked, its
    /// resource not retired and its basis (consent / exemption) not revoked or overturned.
    function isGrantLive(uint64 grantId) external view returns (bool);

    /// @notice When consent `consentId` was revoked (0: not revoked).
    function consentRevokedAt(bytes32 consentId) external view returns (uint64);

    /// @notice The EIP-712 digest (the consent's id) a subject's controller signs.
    function consentDigest(Consent calldata consent) external view returns (bytes32);

    /// @notice Number of resources, requests and exemptions so far (the latest ids).
    function counts() external view returns (uint64 resources, uint64 requests, uint64 exemptions);
}
