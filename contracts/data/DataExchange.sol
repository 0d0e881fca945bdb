// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {CityRoles} from "../access/CityRoles.sol";
import {CityManaged} from "../common/CityManaged.sol";
import {CityTypedData} from "../common/CityTypedData.sol";
import {IdentityGate} from "../common/IdentityGate.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {IDataExchange} from "./IDataExchange.sol";

/// @title DataExchange
/// @notice Data exchange between the city's agencies: a directory of the data resources each
/// agency holds, requests and grants, the subject's consent or a disputable legal-basis
/// exemption for personal data, access receipts anchored as Merkle roots, and deletion requests.
///
/// @dev Rules, in one place:
/// 1. Agencies are AccessManager roles. A resource stores its owner agency's role; a request
///    and an exemption store the recipient agency's role. Every agency action needs BOTH the
///    function's role (`restricted`: DATA_STEWARD for the owner's actions, DATA_REQUESTER for
///    the recipient's, DATA_EXEMPTION_OFFICER, DATA_RECEIPTS for anchoring) AND the agency's
///    role, held with no execution delay (`_hasImmediateRole`): a steward of one agency cannot
///    register, approve, revoke or retire for another, a requester cannot request in another
///    agency's name, an exemption officer cannot exempt another agency's requests, and an
///    anchorer cannot anchor for another agency. ADMIN and PUBLIC never identify an agency.
/// 2. No personal data on chain: resources, requests, consents, exemptions and receipts carry
///    role ids, subject commitments, codes and document hashes only. A request's legal-basis
///    and fields hashes are logged (`DataRequested`), not stored; receipts are not stored at
///    all: each batch is one slot keyed by its Merkle root (the leaves stay with the anchoring
///    agency), so anchoring costs O(1) storage whatever the batch size.
/// 3. Sharing: an Open resource is granted at once, a Conditional one waits for the owner's
///    `decide` (approve, or deny with a non-zero reason code), a NotShareable one refuses every
///    request. A retired resource takes no request and its grants stop being live.
/// 4. Personal data needs the subject: a request of a personal resource must name its subject
///    and rest on either the subject's consent (`requestWithConsent`: an EIP-712 `Consent`,
///    domain "CivicLedger DataExchange" version "1", signed by the subject's ACTIVE controller,
///    naming subject, resource, recipient agency, purpose and expiry, at most MAX_BASIS_LIFETIME
///    ahead) or a recorded exemption covering exactly that subject, resource, recipient and
///    purpose. Non-personal data takes neither. A grant never outlives its basis (its expiry
///    is capped by the basis's), and stops being live when the consent is revoked
///    (`revokeConsent`, the subject's controller, used or not) or the exemption overturned.
///    A consent cannot be replayed for another recipient, resource or purpose: they are signed.
/// 5. Exemptions are adverse records about a subject: attributable (the officer), expiring
///    (at most MAX_BASIS_LIFETIME), and disputable by the subject's active controller. The
///    RecordRegistry's dispute machinery is not used: its records need a schema and an issuer
///    role per agency and would couple the two contracts' upgrades for one flag, and its dispute
///    STAY would let a subject suspend a statutory exemption at will. Here a dispute is a flag
///    on the exemption ruled by the ARBITER (the city's one dispute resolver): Upheld, or
///    Overturned (void from the ruling on: its grants stop being live). While disputed the
///    exemption still counts (a legal obligation is not suspended by its subject's say-so).
/// 6. Grants: a grant is its request (same id), live from its grant time until its expiry
///    (at most MAX_GRANT_DURATION), unless revoked by the owner's steward (non-zero reason
///    code) or ended by a deletion request. Only the owner's steward revokes.
/// 7. Receipts: every delivery under a grant is a receipt (grant, subject or zero, payload
///    hash, delivery time), a leaf keccak256(keccak256(abi.encode(...))) as OpenZeppelin's
///    StandardMerkleTree (double hashing rules out second-preimage attacks with inner nodes).
///    `anchorReceipts` stores the root once (one slot: agency, time, leaf count); `verifyReceipt`
///    checks one receipt against an anchored root with MerkleProof (< 30k gas). Inclusion is all
///    it proves: `batchOf(root).agencyRole` names the agency vouching for the batch, which a
///    verifier compares with the grant's owner and recipient (civic_ledger.data.receipts.verify).
/// 8. Deletion: the owner's steward, or the subject's controller for a consent-based grant
///    (an exemption-based grant is contested by disputing the exemption), asks the recipient to
///    delete; the request ends the grant and is due after the resource's deletion period. The
///    recipient's requester confirms; an unconfirmed request past due is `deletionOverdue`.
/// 9. Stopping (CityManaged's story): a pause stops every restricted function; the subject's
///    rights continue during a pause, for due process: `revokeConsent`, `disputeExemption` and
///    `requestDeletion` (each only stops or questions a flow of data). Closing stops them too.
///    Views always answer.
/// 10. Upgradeable behind a CityProxy; state in the ERC-7201 namespace `civic.DataExchange`
///    (the EIP-712 domain in OpenZeppelin's namespace).
///
/// Restricted functions (mapped by the deploy plan): `registerResource`, `addVersion`,
/// `retireResource`, `decide`, `revokeGrant` -> DATA_STEWARD; `request`, `requestWithConsent`,
/// `confirmDeletion` -> DATA_REQUESTER; `recordExemption` -> DATA_EXEMPTION_OFFICER;
/// `anchorReceipts` -> DATA_RECEIPTS; `resolveExemptionDispute` -> ARBITER; CityManaged's
/// `pause` -> GUARDIAN, `unpause` -> ADMIN, `upgradeToAndCall` -> UPGRADER.
contract DataExchange is CityManaged, CityTypedData, IDataExchange {
    /// @custom:storage-location erc7201:civic.DataExchange
    struct DataExchangeStorage {
        IIdentityRegistry identities;
        uint64 resourceCount;
        uint64 exemptionCount;
        uint64 requestCount;
        mapping(uint64 resourceId => Resource) resources;
        mapping(uint64 resourceId => mapping(uint32 version => Version)) versions;
        mapping(uint64 requestId => Request) requests;
        mapping(uint64 exemptionId => Exemption) exemptions;
        mapping(bytes32 consentId => uint64 revokedAt) consentRevokedAt;
        mapping(bytes32 root => Batch) batches;
        mapping(uint64 grantId => Deletion) deletions;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.DataExchange")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant DATA_EXCHANGE_STORAGE =
        0x4f8fb60423223b24dab0bf56090497fa4aef3d09e6625bce860c616bacb28d00;

    /// @notice Longest a grant runs.
    uint64 public constant MAX_GRANT_DURATION = 365 days;
    /// @notice Furthest ahead a consent or exemption may expire.
    uint64 public constant MAX_BASIS_LIFETIME = 365 days;
    /// @notice Longest deletion period of a resource.
    uint32 public constant MAX_DELETION_PERIOD = 90 days;

    /// @notice EIP-712 type of a subject's consent.
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "Consent(bytes32 subject,uint64 resourceId,uint64 recipientRole,uint16 purpose,uint64 expiresAt,bytes32 salt)"
    );

    /// @notice Name of the EIP-712 domain consents are signed for (its version: CityTypedData).
    string private constant _DOMAIN_NAME = "CivicLedger DataExchange";

    /// @notice Sets the authority, the identity registry and the EIP-712 domain (once, via the
    /// proxy).
    /// @param initialAuthority The city's AccessManager.
    /// @param identities The IdentityRegistry whose subjects consent and dispute.
    function initialize(address initialAuthority, IIdentityRegistry identities) external initializer {
        __CityManaged_init(initialAuthority);
        __EIP712_init(_DOMAIN_NAME, _DOMAIN_VERSION);
        _s().identities = identities;
    }

    /// @dev The EIP-712 domain's name, a constant (see CityTypedData).
    function _EIP712Name() internal pure override returns (string memory) {
        return _DOMAIN_NAME;
    }

    // ----------------------------------------------------------------------------------------
    // Resources (owner's data steward)
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDataExchange
    function registerResource(ResourceInput calldata input)
        external
        restricted
        whenNotPaused
        returns (uint64 resourceId)
    {
        _requireAgency(input.ownerRole, _msgSender());
        if (
            input.mandateHash == bytes32(0) || input.descriptionHash == bytes32(0) || input.schemaHash == bytes32(0)
                || input.deletionPeriod == 0 || input.deletionPeriod > MAX_DELETION_PERIOD
        ) revert DataInvalidInput();
        DataExchangeStorage storage $ = _s();
        resourceId = ++$.resourceCount;
        Resource storage resource = $.resources[resourceId];
        resource.ownerRole = input.ownerRole;
        resource.registeredAt = uint64(block.timestamp);
        resource.deletionPeriod = input.deletionPeriod;
        resource.versionCount = 1;
        resource.sharing = input.sharing;
        resource.personal = input.personal;
        resource.mandateHash = input.mandateHash;
        resource.descriptionHash = input.descriptionHash;
        $.versions[resourceId][1] = Version(input.contentHash, input.schemaHash);
        emit ResourceRegistered(
            resourceId,
            _msgSender(),
            input.ownerRole,
            input.sharing,
            input.personal,
            input.deletionPeriod,
            input.mandateHash,
            input.descriptionHash
        );
        emit ResourceVersionAdded(resourceId, 1, _msgSender(), input.contentHash, input.schemaHash);
    }

    /// @inheritdoc IDataExchange
    function addVersion(uint64 resourceId, bytes32 contentHash, bytes32 schemaHash)
        external
        restricted
        whenNotPaused
        returns (uint32 newVersion)
    {
        Resource storage resource = _ownedLiveResource(resourceId);
        if (schemaHash == bytes32(0)) revert DataInvalidInput();
        newVersion = ++resource.versionCount;
        _s().versions[resourceId][newVersion] = Version(contentHash, schemaHash);
        emit ResourceVersionAdded(resourceId, newVersion, _msgSender(), contentHash, schemaHash);
    }

    /// @inheritdoc IDataExchange
    function retireResource(uint64 resourceId, bytes32 reasonHash) external restricted whenNotPaused {
        _ownedLiveResource(resourceId).retired = true;
        emit ResourceRetired(resourceId, _msgSender(), reasonHash);
    }

    // ----------------------------------------------------------------------------------------
    // Requests and grants
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDataExchange
    function request(RequestInput calldata input) external restricted whenNotPaused returns (uint64 requestId) {
        Resource storage resource = _checkRequest(input);
        Basis basis = Basis.None;
        bytes32 basisId = bytes32(0);
        uint64 basisExpiresAt = type(uint64).max;
        if (resource.personal) {
            if (input.exemptionId == 0) revert DataInvalidBasis(input.resourceId);
            basis = Basis.Exemption;
            basisId = bytes32(uint256(input.exemptionId));
            basisExpiresAt = _checkExemption(input);
        } else if (input.exemptionId != 0) {
            revert DataInvalidBasis(input.resourceId);
        }
        requestId = _storeRequest(_s(), input, resource, basis, basisId, basisExpiresAt);
    }

    /// @inheritdoc IDataExchange
    function requestWithConsent(RequestInput calldata input, Consent calldata consent, bytes calldata signature)
        external
        restricted
        whenNotPaused
        returns (uint64 requestId)
    {
        DataExchangeStorage storage $ = _s();
        Resource storage resource = _checkRequest(input);
        if (!resource.personal || input.exemptionId != 0) revert DataInvalidBasis(input.resourceId);
        bytes32 consentId = consentDigest(consent);
        if (
            consent.subject != input.subject || consent.resourceId != input.resourceId
                || consent.recipientRole != input.recipientRole || consent.purpose != input.purpose
        ) revert DataConsentMismatch(consentId);
        if (
            consent.expiresAt <= block.timestamp || consent.expiresAt > block.timestamp + MAX_BASIS_LIFETIME
                || $.consentRevokedAt[consentId] != 0
        ) revert DataConsentNotLive(consentId);
        address controller = IdentityGate.activeController($.identities, consent.subject);
        if (!SignatureChecker.isValidSignatureNow(controller, consentId, signature)) {
            revert DataInvalidConsentSignature(consentId);
        }
        requestId = _storeRequest($, input, resource, Basis.Consent, consentId, consent.expiresAt);
    }

    /// @inheritdoc IDataExchange
    function decide(uint64 requestId, bool approve, uint16 reasonCode) external restricted whenNotPaused {
        Request storage entry = _requireRequest(requestId);
        Resource storage resource = _s().resources[entry.resourceId];
        _requireAgency(resource.ownerRole, _msgSender());
        if (entry.status != RequestStatus.Pending) revert DataRequestNotPending(requestId);
        if (approve) {
            if (resource.retired) revert DataResourceRetired(entry.resourceId);
            if (!_basisLive(entry) || entry.basisExpiresAt <= block.timestamp) revert DataGrantNotLive(requestId);
            _grant(requestId, entry, reasonCode);
        } else {
            if (reasonCode == 0) revert DataMissingReason();
            entry.status = RequestStatus.Denied;
            emit RequestDenied(requestId, entry.resourceId, _msgSender(), reasonCode);
        }
    }

    /// @inheritdoc IDataExchange
    function revokeGrant(uint64 grantId, uint16 reasonCode) external restricted whenNotPaused {
        Request storage entry = _requireRequest(grantId);
        _requireAgency(_s().resources[entry.resourceId].ownerRole, _msgSender());
        if (reasonCode == 0) revert DataMissingReason();
        if (!isGrantLive(grantId)) revert DataGrantNotLive(grantId);
        entry.revokedAt = uint64(block.timestamp);
        emit GrantRevoked(grantId, entry.resourceId, _msgSender(), reasonCode);
    }

    // ----------------------------------------------------------------------------------------
    // Subjects: consent, exemptions and their disputes
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDataExchange
    function revokeConsent(Consent calldata consent) external whenNotClosed {
        DataExchangeStorage storage $ = _s();
        address controller = IdentityGate.activeController($.identities, consent.subject);
        if (_msgSender() != controller) revert DataNotSubjectController(_msgSender(), consent.subject);
        bytes32 consentId = consentDigest(consent);
        if ($.consentRevokedAt[consentId] != 0) revert DataConsentNotLive(consentId);
        $.consentRevokedAt[consentId] = uint64(block.timestamp);
        emit ConsentRevoked(consentId, consent.subject, _msgSender());
    }

    /// @inheritdoc IDataExchange
    function recordExemption(ExemptionInput calldata input)
        external
        restricted
        whenNotPaused
        returns (uint64 exemptionId)
    {
        _requireAgency(input.recipientRole, _msgSender());
        Resource storage resource = _requireResource(input.resourceId);
        // an exemption is an adverse record about its subject: only where it can be a basis
        if (!resource.personal) revert DataInvalidBasis(input.resourceId);
        if (resource.retired) revert DataResourceRetired(input.resourceId);
        if (
            input.subject == bytes32(0) || input.purpose == 0 || input.legalBasisHash == bytes32(0)
                || input.expiresAt <= block.timestamp || input.expiresAt > block.timestamp + MAX_BASIS_LIFETIME
        ) revert DataInvalidInput();
        DataExchangeStorage storage $ = _s();
        exemptionId = ++$.exemptionCount;
        $.exemptions[exemptionId] = Exemption({
            resourceId: input.resourceId,
            recipientRole: input.recipientRole,
            recordedAt: uint64(block.timestamp),
            expiresAt: input.expiresAt,
            officer: _msgSender(),
            purpose: input.purpose,
            status: ExemptionStatus.Active,
            subject: input.subject,
            legalBasisHash: input.legalBasisHash
        });
        emit ExemptionRecorded(
            exemptionId,
            input.subject,
            _msgSender(),
            input.resourceId,
            input.recipientRole,
            input.purpose,
            input.expiresAt,
            input.legalBasisHash
        );
    }

    /// @inheritdoc IDataExchange
    function disputeExemption(uint64 exemptionId, bytes32 evidenceHash) external whenNotClosed {
        Exemption storage exemption = _requireExemption(exemptionId);
        bytes32 subject = exemption.subject;
        if (_msgSender() != IdentityGate.activeController(_s().identities, subject)) {
            revert DataNotSubjectController(_msgSender(), subject);
        }
        if (exemption.status != ExemptionStatus.Active) revert DataExemptionWrongStatus(exemptionId, exemption.status);
        exemption.status = ExemptionStatus.Disputed;
        emit ExemptionDisputed(exemptionId, subject, _msgSender(), evidenceHash);
    }

    /// @inheritdoc IDataExchange
    function resolveExemptionDispute(uint64 exemptionId, bool uphold, bytes32 rulingHash)
        external
        restricted
        whenNotPaused
    {
        Exemption storage exemption = _requireExemption(exemptionId);
        if (exemption.status != ExemptionStatus.Disputed) {
            revert DataExemptionWrongStatus(exemptionId, exemption.status);
        }
        if (rulingHash == bytes32(0)) revert DataInvalidInput();
        ExemptionStatus outcome = uphold ? ExemptionStatus.Upheld : ExemptionStatus.Overturned;
        exemption.status = outcome;
        emit ExemptionDisputeResolved(exemptionId, exemption.subject, _msgSender(), outcome, rulingHash);
    }

    // ----------------------------------------------------------------------------------------
    // Receipts
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDataExchange
    function anchorReceipts(uint64 agencyRole, bytes32 root, uint32 leafCount) external restricted whenNotPaused {
        _requireAgency(agencyRole, _msgSender());
        if (root == bytes32(0) || leafCount == 0) revert DataInvalidInput();
        Batch storage batch = _s().batches[root];
        if (batch.anchoredAt != 0) revert DataBatchExists(root);
        batch.agencyRole = agencyRole;
        batch.anchoredAt = uint64(block.timestamp);
        batch.leafCount = leafCount;
        emit ReceiptsAnchored(root, agencyRole, _msgSender(), leafCount);
    }

    /// @inheritdoc IDataExchange
    function verifyReceipt(bytes32 root, Receipt calldata receipt, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        if (_s().batches[root].anchoredAt == 0) return false;
        return MerkleProof.verifyCalldata(proof, root, receiptLeaf(receipt));
    }

    /// @inheritdoc IDataExchange
    function receiptLeaf(Receipt calldata receipt) public pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                keccak256(abi.encode(receipt.grantId, receipt.subject, receipt.payloadHash, receipt.deliveredAt))
            )
        );
    }

    // ----------------------------------------------------------------------------------------
    // Deletion
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDataExchange
    function requestDeletion(uint64 grantId, bytes32 reasonHash) external whenNotClosed {
        DataExchangeStorage storage $ = _s();
        Request storage entry = _requireRequest(grantId);
        if (entry.status != RequestStatus.Granted) revert DataGrantNotLive(grantId);
        Resource storage resource = $.resources[entry.resourceId];
        address caller = _msgSender();
        bool owner = _hasImmediateRole(resource.ownerRole, caller) && _hasImmediateRole(_stewardRole(), caller);
        if (!owner) {
            if (entry.basis != Basis.Consent || caller != $.identities.activeControllerOf(entry.subject)) {
                revert DataUnauthorizedDeletion(caller, grantId);
            }
        }
        Deletion storage deletion = $.deletions[grantId];
        if (deletion.requestedAt != 0) revert DataDeletionExists(grantId);
        uint64 dueAt = uint64(block.timestamp) + resource.deletionPeriod;
        deletion.requestedAt = uint64(block.timestamp);
        deletion.dueAt = dueAt;
        if (entry.revokedAt == 0 && block.timestamp < entry.expiresAt) {
            entry.revokedAt = uint64(block.timestamp);
            emit GrantRevoked(grantId, entry.resourceId, caller, 0);
        }
        emit DeletionRequested(grantId, entry.resourceId, caller, dueAt, reasonHash);
    }

    /// @inheritdoc IDataExchange
    function confirmDeletion(uint64 grantId, bytes32 evidenceHash) external restricted whenNotPaused {
        Request storage entry = _requireRequest(grantId);
        _requireAgency(entry.recipientRole, _msgSender());
        Deletion storage deletion = _s().deletions[grantId];
        if (deletion.requestedAt == 0 || deletion.confirmedAt != 0) revert DataNoOpenDeletion(grantId);
        deletion.confirmedAt = uint64(block.timestamp);
        emit DeletionConfirmed(grantId, entry.resourceId, _msgSender(), block.timestamp > deletion.dueAt, evidenceHash);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDataExchange
    function resourceOf(uint64 resourceId) external view returns (Resource memory) {
        return _s().resources[resourceId];
    }

    /// @inheritdoc IDataExchange
    function versionOf(uint64 resourceId, uint32 number) external view returns (Version memory) {
        return _s().versions[resourceId][number];
    }

    /// @inheritdoc IDataExchange
    function requestOf(uint64 requestId) external view returns (Request memory) {
        return _s().requests[requestId];
    }

    /// @inheritdoc IDataExchange
    function exemptionOf(uint64 exemptionId) external view returns (Exemption memory) {
        return _s().exemptions[exemptionId];
    }

    /// @inheritdoc IDataExchange
    function batchOf(bytes32 root) external view returns (Batch memory) {
        return _s().batches[root];
    }

    /// @inheritdoc IDataExchange
    function deletionOf(uint64 grantId) external view returns (Deletion memory) {
        return _s().deletions[grantId];
    }

    /// @inheritdoc IDataExchange
    function deletionOverdue(uint64 grantId) external view returns (bool) {
        Deletion storage deletion = _s().deletions[grantId];
        return deletion.requestedAt != 0 && deletion.confirmedAt == 0 && block.timestamp > deletion.dueAt;
    }

    /// @inheritdoc IDataExchange
    function isGrantLive(uint64 grantId) public view returns (bool) {
        DataExchangeStorage storage $ = _s();
        Request storage entry = $.requests[grantId];
        if (entry.status != RequestStatus.Granted || entry.revokedAt != 0 || block.timestamp >= entry.expiresAt) {
            return false;
        }
        if ($.resources[entry.resourceId].retired) return false;
        return _basisLive(entry);
    }

    /// @inheritdoc IDataExchange
    function consentRevokedAt(bytes32 consentId) external view returns (uint64) {
        return _s().consentRevokedAt[consentId];
    }

    /// @inheritdoc IDataExchange
    function consentDigest(Consent calldata consent) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CONSENT_TYPEHASH,
                    consent.subject,
                    consent.resourceId,
                    consent.recipientRole,
                    consent.purpose,
                    consent.expiresAt,
                    consent.salt
                )
            )
        );
    }

    /// @inheritdoc IDataExchange
    function counts() external view returns (uint64 resources, uint64 requests, uint64 exemptions) {
        DataExchangeStorage storage $ = _s();
        return ($.resourceCount, $.requestCount, $.exemptionCount);
    }

    // ----------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------

    /// @dev The checks every request shares (rules 1, 3, 4); returns the resource.
    function _checkRequest(RequestInput calldata input) private view returns (Resource storage resource) {
        _requireAgency(input.recipientRole, _msgSender());
        resource = _requireResource(input.resourceId);
        if (resource.retired) revert DataResourceRetired(input.resourceId);
        if (resource.sharing == SharingClass.NotShareable) revert DataNotShareable(input.resourceId);
        if (input.purpose == 0 || input.duration == 0 || input.duration > MAX_GRANT_DURATION) {
            revert DataInvalidInput();
        }
        if (resource.personal && input.subject == bytes32(0)) revert DataSubjectRequired(input.resourceId);
    }

    /// @dev The exemption covers exactly this request and still counts; returns its expiry.
    function _checkExemption(RequestInput calldata input) private view returns (uint64) {
        uint64 exemptionId = input.exemptionId;
        Exemption storage exemption = _requireExemption(exemptionId);
        if (
            exemption.subject != input.subject || exemption.resourceId != input.resourceId
                || exemption.recipientRole != input.recipientRole || exemption.purpose != input.purpose
                || exemption.status == ExemptionStatus.Overturned || exemption.expiresAt <= block.timestamp
        ) revert DataExemptionNotApplicable(exemptionId);
        return exemption.expiresAt;
    }

    function _storeRequest(
        DataExchangeStorage storage $,
        RequestInput calldata input,
        Resource storage resource,
        Basis basis,
        bytes32 basisId,
        uint64 basisExpiresAt
    ) private returns (uint64 requestId) {
        requestId = ++$.requestCount;
        Request storage entry = $.requests[requestId];
        entry.resourceId = input.resourceId;
        entry.recipientRole = input.recipientRole;
        entry.requestedAt = uint64(block.timestamp);
        entry.duration = uint32(input.duration);
        entry.purpose = input.purpose;
        entry.status = RequestStatus.Pending;
        entry.basis = basis;
        entry.basisExpiresAt = basisExpiresAt;
        if (input.subject != bytes32(0)) entry.subject = input.subject;
        if (basisId != bytes32(0)) entry.basisId = basisId;
        _emitRequested(requestId, input, basis, basisId);
        if (resource.sharing == SharingClass.Open) _grant(requestId, entry, 0);
    }

    /// @dev Its own frame: the event has more fields than the caller's stack holds.
    function _emitRequested(uint64 requestId, RequestInput calldata input, Basis basis, bytes32 basisId) private {
        emit DataRequested(
            requestId,
            input.resourceId,
            _msgSender(),
            input.recipientRole,
            input.subject,
            input.purpose,
            input.duration,
            input.legalBasisHash,
            input.fieldsHash,
            basis,
            basisId
        );
    }

    function _grant(uint64 grantId, Request storage entry, uint16 reasonCode) private {
        uint64 expiresAt = uint64(block.timestamp) + entry.duration;
        if (entry.basisExpiresAt < expiresAt) expiresAt = entry.basisExpiresAt;
        entry.status = RequestStatus.Granted;
        entry.grantedAt = uint64(block.timestamp);
        entry.expiresAt = expiresAt;
        emit GrantIssued(grantId, entry.resourceId, _msgSender(), expiresAt, reasonCode);
    }

    /// @dev The consent is not revoked / the exemption not overturned (expiries cap the grant).
    function _basisLive(Request storage entry) private view returns (bool) {
        Basis basis = entry.basis;
        if (basis == Basis.Consent) return _s().consentRevokedAt[entry.basisId] == 0;
        if (basis == Basis.Exemption) {
            return _s().exemptions[uint64(uint256(entry.basisId))].status != ExemptionStatus.Overturned;
        }
        return true;
    }

    /// @dev The role an owner's deletion request needs besides the owner role: the one the
    /// manager maps `retireResource` to (DATA_STEWARD), so the two owner paths stay one role.
    function _stewardRole() private view returns (uint64) {
        return IAccessManager(authority()).getTargetFunctionRole(address(this), this.retireResource.selector);
    }

    function _requireAgency(uint64 role, address account) private view {
        if (role == CityRoles.ADMIN || role == CityRoles.PUBLIC) revert DataInvalidAgencyRole(role);
        if (!_hasImmediateRole(role, account)) revert DataUnauthorizedAgency(account, role);
    }

    /// @dev The resource exists, is not retired, and the caller acts for its owner agency.
    function _ownedLiveResource(uint64 resourceId) private view returns (Resource storage resource) {
        resource = _requireResource(resourceId);
        _requireAgency(resource.ownerRole, _msgSender());
        if (resource.retired) revert DataResourceRetired(resourceId);
    }

    function _requireResource(uint64 resourceId) private view returns (Resource storage resource) {
        resource = _s().resources[resourceId];
        if (resource.ownerRole == 0) revert DataUnknownResource(resourceId);
    }

    function _requireRequest(uint64 requestId) private view returns (Request storage entry) {
        entry = _s().requests[requestId];
        if (entry.status == RequestStatus.None) revert DataUnknownRequest(requestId);
    }

    function _requireExemption(uint64 exemptionId) private view returns (Exemption storage exemption) {
        exemption = _s().exemptions[exemptionId];
        if (exemption.status == ExemptionStatus.None) revert DataUnknownExemption(exemptionId);
    }

    function _s() private pure returns (DataExchangeStorage storage $) {
        assembly {
            $.slot := DATA_EXCHANGE_STORAGE
        }
    }
}
