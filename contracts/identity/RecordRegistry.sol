// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {CityRoles} from "../access/CityRoles.sol";
import {CityManaged} from "../common/CityManaged.sol";
import {CityTypedData} from "../common/CityTypedData.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";
import {RecordLayouts} from "./RecordLayouts.sol";

/// @title RecordRegistry
/// @notice The city's credit platform: agencies issue records about registered identities under
/// schemas, subjects dispute adverse records, arbiters resolve disputes, and standing policies
/// answer "is this subject in good standing?" for other contracts.
///
/// Rules, in one place:
/// 1. Attribution: every record names its schema, its issuer (the role member who sent it or
///    signed it) and its evidence hash; adverse records must carry evidence and an expiry no
///    later than the schema's default validity (at most MAX_DEFAULT_VALIDITY, 100 years).
/// 2. No personal data on chain: the chain carries hashes and typed, bounded fields only.
///    A schema's field layout ("uint16 year,bool compliant") may use only static types:
///    uint8..uint256 and int8..int256 in steps of 8, bool, bytes1..bytes32, with identifier
///    names, at most MAX_FIELDS (16) fields; `registerSchema` parses and validates it once and
///    stores one type code per field. Every issuance's data must be exactly one 32-byte word
///    per field, each in range for its type (uintN < 2**N, intN sign-extended, bool 0 or 1,
///    bytesN with its unused low bytes zero); an empty layout takes empty data
///    (RecordDataMismatch otherwise). No URI, name or free text is stored or logged: documents
///    stay with the issuing agency, addressed by their hash.
/// 3. Revocation reasons are a code and a document hash (`RecordRevoked(code, hash)`):
///      1 issued in error, 2 remedied (e.g. paid), 5 other (see the document: hash required)
///        - the codes issuers may use;
///      3 superseded (system: the hash is the replacing record's id),
///      4 overturned (system: the hash is the arbiter's ruling).
/// 4. Due process: the subject's current controller may dispute an adverse record once, while
///    it is live and unexpired. An open dispute suspends the record only during a bounded STAY:
///    the schema's `disputeStay` (DEFAULT_DISPUTE_STAY, 14 days, for new schemas; the records
///    administrator sets it per schema with `setDisputeStay`, at most MAX_DISPUTE_STAY, 90
///    days; 0 = a dispute never suspends by itself), counted from the dispute. The arbiter may
///    grant a longer stay (`grantStay`, each at most MAX_DISPUTE_STAY ahead, with a reason
///    hash). When the stay lapses the record counts again until the arbiter decides, whether
///    or not anyone calls `lapseStay` (which only reports the lapse and refreshes the cached
///    standing). The arbiter upholds (the record counts) or overturns (revoked, code 4); an
///    issuer revoking a disputed record withdraws the dispute. Every transition emits an
///    event naming the actor.
/// 5. Validity: a record is valid when it exists, is not revoked, has not expired and is not
///    within a running dispute stay (`isValid`, one storage slot).
/// 6. Standing: per (subject, schema) the registry keeps the live (non-revoked) records (at
///    most MAX_LIVE_RECORDS; expired ones are pruned, with `LiveRecordPruned`, when the set is
///    full) and one summary slot: `validUntil`, the latest expiry among live records that
///    counted at the last write, and `stayEnd`, the earliest end of a stay running then. While
///    no stay has lapsed since (now < stayEnd), a valid record exists iff validUntil > now: one
///    slot read. Once a stay has lapsed and no write has refreshed the summary, the answer is
///    computed exactly by a bounded loop over the live records (at most MAX_LIVE_RECORDS record
///    slots plus 2 live-set slots).
/// 7. Signed issuance (EIP-712 domain "CivicLedger RecordRegistry", version "1", the proxy's
///    address; relayed by anyone): the signer's nonce orders its signatures; the signer cancels
///    outstanding ones by moving its nonce forward (`invalidateNonces`, at most MAX_NONCE_STEP
///    per call) and a deadline more than MAX_SIGNATURE_LIFETIME (30 days) ahead of the block
///    time is refused.
/// 8. Stopping (CityManaged's story): a pause by the guardian stops issuance, revocation,
///    `invalidateNonces` and every restricted function (schemas, policies, stays, rulings),
///    except two that continue during a pause, for due process: `dispute` (a record still
///    counts during a pause, so its subject may still dispute it and have it stayed) and
///    `lapseStay` (it only reports that a stay has ended, which holds whether reported or not).
///    Closing the registry in the AccessManager stops every state-changing function, those two
///    included. Views (`isValid`, `meetsPolicy`...) always answer, so the contracts that ask
///    for standing go on working.
/// 9. Upgradeable behind a CityProxy (UUPS, UPGRADER role with the city's notice period); all
///    state lives in the ERC-7201 namespace `civic.RecordRegistry` (nonces and the EIP-712
///    domain in OpenZeppelin's namespaces), so records, disputes, policies and outstanding
///    signatures survive upgrades.
/// 10. Certificates: the records administrator marks a schema a certificate schema
///    (`setCertificate`, licences, registrations, qualifications). `verifyCertificate(recordId,
///    documentHash)` answers in one call for whoever holds the printed certificate: the
///    document's hash must equal the record's non-zero `evidenceHash` (else Unknown, revealing
///    nothing), then Revoked (with its reason code) before Expired before Disputed (open
///    dispute) before Valid. The reason code is stored only for records of certificate schemas
///    (one more slot on their revocation; other revocations read the flag only).
///
/// Gas bound of `meetsPolicy`: the slot holding the identity registry's address, one call to the
/// identity registry (through its proxy), the policy's header and id slots (at most
/// 3 + 2*ceil(8/4) slots) and one summary slot per schema (at most 16). A disqualifying schema
/// whose summary holds a lapsed stay adds at most 2 live-set slots and MAX_LIVE_RECORDS record
/// slots (required schemas are never adverse, so never stayed): ~89k gas for the largest policy
/// with every slot cold and no lapsed stay, and ~352k with all 8 disqualifying schemas holding
/// 8 records each behind lapsed stays (both measured through the proxies in
/// tests/identity/test_gas.py), independent of how many records the subject ever held.
///
/// @dev Restricted functions (mapped by the deploy plan): `registerSchema`, `setSchemaActive`,
/// `setDisputeStay`, `setCertificate`, `setPolicy` -> RECORDS_ADMIN; `resolveDispute`, `grantStay` -> ARBITER;
/// CityManaged's `pause` -> GUARDIAN, `unpause` -> ADMIN, `upgradeToAndCall` -> UPGRADER.
/// Issuance and revocation are per-schema: the caller (or, for signed issuance, the signer) must
/// hold the schema's `issuerRole` in the AccessManager with no execution delay
/// (`_hasImmediateRole`).
contract RecordRegistry is CityManaged, CityTypedData, NoncesUpgradeable, IRecordRegistry {
    /// @custom:storage-location erc7201:civic.RecordRegistry
    struct RecordRegistryStorage {
        // one slot: issuance reads the registry and bumps the record counter
        IIdentityRegistry identities;
        uint48 recordCount;
        uint64 schemaCount;
        mapping(uint64 schemaId => Schema) schemas;
        mapping(bytes32 nameHash => uint64 schemaId) schemaIdsByName;
        mapping(bytes32 recordId => Record) records;
        mapping(bytes32 recordId => Dispute) disputes;
        mapping(bytes32 subject => mapping(uint64 schemaId => Standing)) standing;
        /// Live record numbers 3..8 of a (subject, schema) (the first two are in `standing`).
        mapping(bytes32 subject => mapping(uint64 schemaId => uint48[6])) moreLive;
        mapping(uint256 policyId => Policy) policies;
        /// Schemas marked as certificates (`setCertificate`).
        mapping(uint64 schemaId => bool) certificates;
        /// Revocation reason of a record revoked while its schema was a certificate (rule 10).
        mapping(bytes32 recordId => uint16) revocationReasons;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.RecordRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant RECORD_REGISTRY_STORAGE =
        0x5676e59dc9309ef2e784479c9579e8df6d69b91357972f7f15ea46f7ca0fc400;

    /// @notice Most records in one `issueBatch` / `revokeBatch`.
    uint256 public constant MAX_BATCH_SIZE = 50;
    /// @notice Most live (non-revoked) records per (subject, schema); expired ones are pruned
    /// when the set is full. Bounds every recomputation of the standing summary.
    uint256 public constant MAX_LIVE_RECORDS = 8;
    /// @notice Most required and, separately, most disqualifying schemas per policy.
    uint256 public constant MAX_POLICY_SCHEMAS = 8;
    /// @notice Most fields in a schema's layout (record data is at most 16 words).
    uint256 public constant MAX_FIELDS = 16;
    /// @notice Longest schema name / layout or policy name, in bytes.
    uint256 public constant MAX_STRING_LENGTH = 256;
    /// @notice Longest default validity of a schema (100 years).
    uint64 public constant MAX_DEFAULT_VALIDITY = 100 * 365 days;
    /// @notice Dispute stay of a newly registered schema.
    uint64 public constant DEFAULT_DISPUTE_STAY = 14 days;
    /// @notice Longest dispute stay of a schema, and longest stay the arbiter grants at once.
    uint64 public constant MAX_DISPUTE_STAY = 90 days;
    /// @notice Furthest a signed issuance's deadline may lie ahead of the block time.
    uint256 public constant MAX_SIGNATURE_LIFETIME = 30 days;
    /// @notice Most nonces one `invalidateNonces` call skips.
    uint256 public constant MAX_NONCE_STEP = 256;

    /// @notice EIP-712 type of a signed issuance (bytes are hashed per EIP-712).
    bytes32 public constant ISSUE_TYPEHASH = keccak256(
        "IssueRecord(uint64 schemaId,bytes32 subject,bytes32 evidenceHash,bytes data,"
        "uint64 expiresAt,bytes32 supersedes,uint256 nonce,uint256 deadline)"
    );

    uint16 private constant _ISSUED_IN_ERROR = 1;
    uint16 private constant _REMEDIED = 2;
    uint16 private constant _SUPERSEDED = 3;
    uint16 private constant _OVERTURNED = 4;
    uint16 private constant _OTHER = 5;
    uint64 private constant _NEVER = type(uint64).max;

    /// @notice Name of the EIP-712 domain signed issuances are signed for (its version: CityTypedData).
    string private constant _DOMAIN_NAME = "CivicLedger RecordRegistry";

    /// @dev Creates this implementation's layout parser (RecordLayouts), its first contract, which
    /// `_layouts()` finds from the ERC-1967 implementation slot: the parser is part of the
    /// implementation (replaced with it by an upgrade) but outside its code, which must stay
    /// under the EIP-170 size limit. CityManaged's constructor disables initializers.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        assert(address(new RecordLayouts()) == address(_layoutsOf(address(this))));
    }

    /// @notice Sets the authority, the identity registry and the EIP-712 domain (once, via the
    /// proxy).
    /// @param initialAuthority The city's AccessManager.
    /// @param identities The IdentityRegistry whose subjects records are about.
    function initialize(address initialAuthority, IIdentityRegistry identities) external initializer {
        __CityManaged_init(initialAuthority);
        __EIP712_init(_DOMAIN_NAME, _DOMAIN_VERSION);
        __Nonces_init();
        _s().identities = identities;
    }

    /// @dev The EIP-712 domain's name, a constant (see CityTypedData).
    function _EIP712Name() internal pure override returns (string memory) {
        return _DOMAIN_NAME;
    }

    // ----------------------------------------------------------------------------------------
    // Records administrator
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function registerSchema(SchemaTerms calldata terms) external restricted whenNotPaused returns (uint64 schemaId) {
        return _registerSchema(
            terms.name, terms.fieldLayout, terms.issuerRole, terms.revocable, terms.adverse, terms.defaultValidity
        );
    }

    /// @inheritdoc IRecordRegistry
    function setSchemaActive(uint64 schemaId, bool active) external restricted whenNotPaused {
        _requireSchema(schemaId).active = active;
        emit SchemaActiveSet(schemaId, _msgSender(), active);
    }

    /// @inheritdoc IRecordRegistry
    function setDisputeStay(uint64 schemaId, uint64 stay) external restricted whenNotPaused {
        if (stay > MAX_DISPUTE_STAY) revert RecordInvalidStay(stay);
        _requireSchema(schemaId).disputeStay = stay;
        emit DisputeStaySet(schemaId, _msgSender(), stay);
    }

    /// @inheritdoc IRecordRegistry
    function setCertificate(uint64 schemaId, bool certificate) external restricted whenNotPaused {
        _requireSchema(schemaId);
        _s().certificates[schemaId] = certificate;
        emit CertificateSchemaSet(schemaId, _msgSender(), certificate);
    }

    /// @inheritdoc IRecordRegistry
    function setPolicy(
        uint256 policyId,
        string calldata name,
        uint64[] calldata required,
        uint64[] calldata disqualifying
    ) external restricted whenNotPaused {
        RecordRegistryStorage storage $ = _s();
        if (policyId == 0) revert RecordInvalidPolicyId();
        if (bytes(name).length > MAX_STRING_LENGTH) revert RecordInputTooLong();
        if (required.length > MAX_POLICY_SCHEMAS || disqualifying.length > MAX_POLICY_SCHEMAS) {
            revert RecordPolicyTooLarge();
        }
        _checkPolicySchemas(required, false);
        _checkPolicySchemas(disqualifying, true);
        Policy storage policy = $.policies[policyId];
        policy.exists = true;
        policy.required = required;
        policy.disqualifying = disqualifying;
        policy.name = name;
        emit PolicySet(policyId, _msgSender(), name, required, disqualifying);
    }

    // ----------------------------------------------------------------------------------------
    // Issuers
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function issue(RecordInput calldata input) external whenOpen returns (bytes32 recordId) {
        address caller = _msgSender();
        return _issue(input, caller, caller);
    }

    /// @inheritdoc IRecordRegistry
    function issueBatch(RecordInput[] calldata inputs) external whenOpen returns (bytes32[] memory recordIds) {
        uint256 size = inputs.length;
        _requireBatchSize(size, 1, MAX_BATCH_SIZE);
        address caller = _msgSender();
        recordIds = new bytes32[](size);
        for (uint256 i = 0; i < size; ++i) {
            recordIds[i] = _issue(inputs[i], caller, caller);
        }
    }

    /// @inheritdoc IRecordRegistry
    function issueWithSignature(
        RecordInput calldata input,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external whenOpen returns (bytes32 recordId) {
        if (block.timestamp > deadline) revert RecordSignatureExpired(deadline);
        uint256 latest = block.timestamp + MAX_SIGNATURE_LIFETIME;
        if (deadline > latest) revert RecordSignatureDeadlineTooFar(deadline, latest);
        bytes32 digest = _hashTypedDataV4(_issueStructHash(input, _useNonce(signer), deadline));
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert RecordInvalidSignature(signer);
        }
        return _issue(input, signer, _msgSender());
    }

    /// @inheritdoc IRecordRegistry
    function invalidateNonces(uint256 newNonce) external whenOpen {
        address signer = _msgSender();
        uint256 current = nonces(signer);
        if (newNonce <= current || newNonce - current > MAX_NONCE_STEP) {
            revert RecordInvalidNonce(current, newNonce);
        }
        for (uint256 i = current; i < newNonce; ++i) {
            _useNonce(signer);
        }
        emit NoncesInvalidated(signer, newNonce);
    }

    /// @inheritdoc IRecordRegistry
    function revoke(bytes32 recordId, uint16 reasonCode, bytes32 reasonHash) external whenOpen {
        _checkReason(reasonCode, reasonHash);
        _revokeByIssuer(recordId, reasonCode, reasonHash, _msgSender());
    }

    /// @inheritdoc IRecordRegistry
    function revokeBatch(bytes32[] calldata recordIds, uint16 reasonCode, bytes32 reasonHash) external whenOpen {
        uint256 size = recordIds.length;
        _requireBatchSize(size, 1, MAX_BATCH_SIZE);
        _checkReason(reasonCode, reasonHash);
        address caller = _msgSender();
        for (uint256 i = 0; i < size; ++i) {
            _revokeByIssuer(recordIds[i], reasonCode, reasonHash, caller);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Subjects and arbiters
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    /// @dev Continues during a pause (rule 8); stopped only when the registry is closed.
    function dispute(bytes32 recordId, bytes32 evidenceHash) external whenNotClosed {
        RecordRegistryStorage storage $ = _s();
        Record storage record = _requireRecord(recordId);
        address caller = _msgSender();
        uint64 schemaId = record.schemaId;
        Schema storage schema = $.schemas[schemaId];
        if (!schema.adverse) revert RecordNotAdverse(recordId);
        if (record.revokedAt != 0) revert RecordAlreadyRevoked(recordId);
        if (record.expiresAt != 0 && block.timestamp >= record.expiresAt) revert RecordExpired(recordId);
        if (record.dispute != DisputeStatus.None) revert RecordAlreadyDisputed(recordId, record.dispute);
        bytes32 subject = record.subject;
        // Due process: a suspended or closed subject keeps the right to dispute (controllerOf, not
        // activeControllerOf); the record only stops counting during the stay.
        if (caller != $.identities.controllerOf(subject)) revert RecordNotSubjectController(caller);
        if (evidenceHash == bytes32(0)) revert RecordMissingEvidence();

        record.dispute = DisputeStatus.Open;
        uint64 stay = schema.disputeStay;
        uint64 stayUntil = 0;
        if (stay != 0) {
            stayUntil = uint64(block.timestamp) + stay;
            record.stayUntil = stayUntil;
        }
        Dispute storage entry = $.disputes[recordId];
        entry.raisedBy = caller;
        entry.openedAt = uint64(block.timestamp);
        entry.evidenceHash = evidenceHash;
        if (stay != 0) _refreshStanding(subject, schemaId);
        emit RecordDisputed(recordId, subject, caller, evidenceHash, stayUntil);
    }

    /// @inheritdoc IRecordRegistry
    function grantStay(bytes32 recordId, uint64 until, bytes32 reasonHash) external restricted whenNotPaused {
        Record storage record = _requireRecord(recordId);
        if (record.dispute != DisputeStatus.Open) revert RecordNoOpenDispute(recordId);
        if (reasonHash == bytes32(0)) revert RecordMissingEvidence();
        if (until <= block.timestamp || until <= record.stayUntil || until > block.timestamp + MAX_DISPUTE_STAY) {
            revert RecordInvalidStay(until);
        }
        record.stayUntil = until;
        bytes32 subject = record.subject;
        _refreshStanding(subject, record.schemaId);
        emit DisputeStayGranted(recordId, subject, _msgSender(), until, reasonHash);
    }

    /// @inheritdoc IRecordRegistry
    /// @dev Continues during a pause (rule 8); stopped only when the registry is closed.
    function lapseStay(bytes32 recordId) external whenNotClosed {
        Record storage record = _requireRecord(recordId);
        uint64 stayUntil = record.stayUntil;
        if (stayUntil == 0 || block.timestamp < stayUntil) revert RecordStayNotLapsed(recordId, stayUntil);
        record.stayUntil = 0;
        bytes32 subject = record.subject;
        _refreshStanding(subject, record.schemaId);
        emit DisputeStayLapsed(recordId, subject, _msgSender(), stayUntil);
    }

    /// @inheritdoc IRecordRegistry
    function resolveDispute(bytes32 recordId, bool upheld, bytes32 rulingHash) external restricted whenNotPaused {
        RecordRegistryStorage storage $ = _s();
        Record storage record = _requireRecord(recordId);
        if (record.dispute != DisputeStatus.Open) revert RecordNoOpenDispute(recordId);
        address caller = _msgSender();
        DisputeStatus outcome = upheld ? DisputeStatus.Upheld : DisputeStatus.Overturned;
        record.dispute = outcome;
        Dispute storage entry = $.disputes[recordId];
        entry.resolvedBy = caller;
        entry.resolvedAt = uint64(block.timestamp);
        entry.rulingHash = rulingHash;
        bytes32 subject = record.subject;
        if (upheld) {
            if (record.stayUntil != 0) {
                record.stayUntil = 0;
                _refreshStanding(subject, record.schemaId);
            }
            emit DisputeResolved(recordId, subject, caller, outcome, rulingHash);
        } else {
            emit DisputeResolved(recordId, subject, caller, outcome, rulingHash);
            _revoke(recordId, record, _OVERTURNED, rulingHash, caller);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function isValid(bytes32 recordId) public view returns (bool) {
        RecordRegistryStorage storage $ = _s();
        Record storage record = $.records[recordId];
        return record.issuedAt != 0 && record.revokedAt == 0 && block.timestamp >= record.stayUntil
            && (record.expiresAt == 0 || block.timestamp < record.expiresAt);
    }

    /// @inheritdoc IRecordRegistry
    /// @dev Reverts with RecordUnknownPolicy for an undefined policy (a configuration error).
    function meetsPolicy(bytes32 subject, uint256 policyId) external view returns (bool) {
        RecordRegistryStorage storage $ = _s();
        Policy storage policy = $.policies[policyId];
        if (!policy.exists) revert RecordUnknownPolicy(policyId);
        if (!$.identities.isActive(subject)) return false;
        uint64[] storage required = policy.required;
        uint256 count = required.length;
        for (uint256 i = 0; i < count; ++i) {
            if (!_hasValidRecord(subject, required[i])) return false;
        }
        uint64[] storage disqualifying = policy.disqualifying;
        count = disqualifying.length;
        for (uint256 i = 0; i < count; ++i) {
            if (_hasValidRecord(subject, disqualifying[i])) return false;
        }
        return true;
    }

    /// @inheritdoc IRecordRegistry
    function verifyCertificate(bytes32 recordId, bytes32 documentHash)
        external
        view
        returns (CertificateStatus status, uint16 reasonCode, address issuer, uint64 schemaId, uint64 expiresAt)
    {
        RecordRegistryStorage storage $ = _s();
        Record storage record = $.records[recordId];
        bytes32 evidenceHash = record.evidenceHash;
        // Unknown (all zero) unless the presented document is the certified one (rule 10)
        if (evidenceHash == documentHash && evidenceHash != bytes32(0) && $.certificates[record.schemaId]) {
            (issuer, schemaId, expiresAt) = (record.issuer, record.schemaId, record.expiresAt);
            if (record.revokedAt != 0) {
                (status, reasonCode) = (CertificateStatus.Revoked, $.revocationReasons[recordId]);
            } else if (expiresAt != 0 && block.timestamp >= expiresAt) {
                status = CertificateStatus.Expired;
            } else if (record.dispute == DisputeStatus.Open) {
                status = CertificateStatus.Disputed;
            } else {
                status = CertificateStatus.Valid;
            }
        }
    }

    /// @inheritdoc IRecordRegistry
    function policyExists(uint256 policyId) external view returns (bool) {
        return _s().policies[policyId].exists;
    }

    /// @inheritdoc IRecordRegistry
    function hasValidRecord(bytes32 subject, uint64 schemaId) external view returns (bool) {
        return _hasValidRecord(subject, schemaId);
    }

    /// @inheritdoc IRecordRegistry
    function validUntil(bytes32 subject, uint64 schemaId) external view returns (uint64) {
        return _validUntil(subject, schemaId);
    }

    /// @inheritdoc IRecordRegistry
    function liveRecordsOf(bytes32 subject, uint64 schemaId) external view returns (bytes32[] memory ids) {
        RecordRegistryStorage storage $ = _s();
        Standing storage standing = $.standing[subject][schemaId];
        uint256 count = standing.liveCount;
        ids = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            ids[i] = _liveId(subject, schemaId, standing, i);
        }
    }

    /// @inheritdoc IRecordRegistry
    function getRecord(bytes32 recordId) external view returns (Record memory) {
        return _s().records[recordId];
    }

    /// @inheritdoc IRecordRegistry
    function getDispute(bytes32 recordId) external view returns (Dispute memory) {
        return _s().disputes[recordId];
    }

    /// @inheritdoc IRecordRegistry
    function getSchema(uint64 schemaId) external view returns (Schema memory) {
        return _s().schemas[schemaId];
    }

    /// @inheritdoc IRecordRegistry
    function schemaIdByName(string calldata name) external view returns (uint64) {
        return _s().schemaIdsByName[keccak256(bytes(name))];
    }

    /// @inheritdoc IRecordRegistry
    function schemaCount() external view returns (uint64) {
        return _s().schemaCount;
    }

    /// @inheritdoc IRecordRegistry
    function getPolicy(uint256 policyId) external view returns (Policy memory) {
        return _s().policies[policyId];
    }

    /// @inheritdoc IRecordRegistry
    function recordCount() external view returns (uint256) {
        return _s().recordCount;
    }

    /// @inheritdoc IRecordRegistry
    function identityRegistry() external view returns (IIdentityRegistry) {
        return _s().identities;
    }

    /// @inheritdoc IRecordRegistry
    function issueDigest(RecordInput calldata input, uint256 nonce, uint256 deadline) external view returns (bytes32) {
        return _hashTypedDataV4(_issueStructHash(input, nonce, deadline));
    }

    /// @inheritdoc IRecordRegistry
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ----------------------------------------------------------------------------------------
    // Internal: issuance and revocation
    // ----------------------------------------------------------------------------------------

    function _issue(RecordInput calldata input, address issuer, address operator) private returns (bytes32 recordId) {
        RecordRegistryStorage storage $ = _s();
        uint64 expiresAt = _checkIssuance(input, issuer);
        uint48 number = ++$.recordCount;
        recordId = _recordId(input.subject, input.schemaId, number);
        if (input.supersedes != bytes32(0)) _supersede(input, recordId, operator);
        _store(recordId, number, input, issuer, expiresAt, operator);
        emit RecordIssued(
            recordId,
            input.subject,
            operator,
            input.schemaId,
            issuer,
            input.evidenceHash,
            expiresAt,
            input.supersedes,
            input.data
        );
    }

    /// @dev Every check of an issuance except supersession; returns the effective expiry.
    function _checkIssuance(RecordInput calldata input, address issuer) private view returns (uint64 expiresAt) {
        RecordRegistryStorage storage $ = _s();
        uint64 schemaId = input.schemaId;
        Schema storage schema = _requireSchema(schemaId);
        if (!schema.active) revert RecordSchemaInactive(schemaId);
        if (!_hasImmediateRole(schema.issuerRole, issuer)) revert RecordUnauthorizedIssuer(issuer, schema.issuerRole);
        if (!$.identities.isActive(input.subject)) revert RecordSubjectNotActive(input.subject);
        _checkData(schemaId, schema, input.data);
        expiresAt = _checkedExpiry(schema, input.expiresAt);
        if (schema.adverse && input.evidenceHash == bytes32(0)) revert RecordMissingEvidence();
    }

    /// @dev The data is one word per layout field, each in range for its type (rule 2): the
    /// length here, the ranges by the layout parser (RecordLayouts.check, outside this code for
    /// EIP-170).
    function _checkData(uint64 schemaId, Schema storage schema, bytes calldata data) private view {
        uint256 count = schema.fieldCount;
        if (data.length != count * 32) revert RecordDataMismatch(schemaId, count);
        if (count == 0) return;
        uint256 bad = _layouts().check(schema.fieldTypes, data);
        if (bad != type(uint256).max) revert RecordDataMismatch(schemaId, bad);
    }

    /// @dev Revokes the record `input.supersedes` in favour of `recordId` (code 3, superseded).
    function _supersede(RecordInput calldata input, bytes32 recordId, address operator) private {
        RecordRegistryStorage storage $ = _s();
        bytes32 oldId = input.supersedes;
        Record storage old = _requireRecord(oldId);
        if (old.subject != input.subject || old.schemaId != input.schemaId) revert RecordSupersedeMismatch(oldId);
        if (old.revokedAt != 0) revert RecordAlreadyRevoked(oldId);
        if (!$.schemas[input.schemaId].revocable) revert RecordNotRevocable(oldId);
        if (old.dispute == DisputeStatus.Open) revert RecordUnderDispute(oldId);
        old.supersededBy = recordId;
        _revoke(oldId, old, _SUPERSEDED, recordId, operator);
    }

    function _store(
        bytes32 recordId,
        uint48 number,
        RecordInput calldata input,
        address issuer,
        uint64 expiresAt,
        address operator
    ) private {
        RecordRegistryStorage storage $ = _s();
        Record storage record = $.records[recordId];
        record.issuedAt = uint64(block.timestamp);
        record.expiresAt = expiresAt;
        record.issuer = issuer;
        record.schemaId = input.schemaId;
        record.subject = input.subject;
        if (input.evidenceHash != bytes32(0)) record.evidenceHash = input.evidenceHash;
        if (input.supersedes != bytes32(0)) record.supersedes = input.supersedes;
        _addLive(input.subject, input.schemaId, number, expiresAt == 0 ? _NEVER : expiresAt, operator);
    }

    function _checkedExpiry(Schema storage schema, uint64 requested) private view returns (uint64) {
        uint64 defaultValidity = schema.defaultValidity;
        uint64 maxExpiry = defaultValidity == 0 ? 0 : uint64(block.timestamp) + defaultValidity;
        if (requested == 0) return maxExpiry;
        if (requested <= block.timestamp || (schema.adverse && requested > maxExpiry)) {
            revert RecordInvalidExpiry(requested);
        }
        return requested;
    }

    /// @dev Issuers revoke with code 1, 2 or 5; code 5 needs the reason document's hash.
    function _checkReason(uint16 reasonCode, bytes32 reasonHash) private pure {
        if (reasonCode != _ISSUED_IN_ERROR && reasonCode != _REMEDIED && reasonCode != _OTHER) {
            revert RecordInvalidReasonCode(reasonCode);
        }
        if (reasonCode == _OTHER && reasonHash == bytes32(0)) revert RecordMissingEvidence();
    }

    function _revokeByIssuer(bytes32 recordId, uint16 reasonCode, bytes32 reasonHash, address caller) private {
        RecordRegistryStorage storage $ = _s();
        Record storage record = _requireRecord(recordId);
        Schema storage schema = $.schemas[record.schemaId];
        if (!_hasImmediateRole(schema.issuerRole, caller)) revert RecordUnauthorizedIssuer(caller, schema.issuerRole);
        if (!schema.revocable) revert RecordNotRevocable(recordId);
        if (record.revokedAt != 0) revert RecordAlreadyRevoked(recordId);
        if (record.dispute == DisputeStatus.Open) {
            record.dispute = DisputeStatus.Withdrawn;
            Dispute storage entry = $.disputes[recordId];
            entry.resolvedBy = caller;
            entry.resolvedAt = uint64(block.timestamp);
            emit DisputeResolved(recordId, record.subject, caller, DisputeStatus.Withdrawn, bytes32(0));
        }
        _revoke(recordId, record, reasonCode, reasonHash, caller);
    }

    /// @dev Marks `record` revoked (ending any stay), drops it from the live set and refreshes the
    /// standing summary.
    function _revoke(
        bytes32 recordId,
        Record storage record,
        uint16 reasonCode,
        bytes32 reasonHash,
        address operator
    ) private {
        record.revokedAt = uint64(block.timestamp);
        if (record.stayUntil != 0) record.stayUntil = 0;
        bytes32 subject = record.subject;
        uint64 schemaId = record.schemaId;
        RecordRegistryStorage storage $ = _s();
        if ($.certificates[schemaId]) $.revocationReasons[recordId] = reasonCode;
        _removeLive(subject, schemaId, recordId);
        _refreshStanding(subject, schemaId);
        emit RecordRevoked(recordId, subject, operator, reasonCode, reasonHash);
    }

    // ----------------------------------------------------------------------------------------
    // Internal: live sets and the standing summary
    // ----------------------------------------------------------------------------------------

    /// @dev Record ids are derived from the record number, so live sets store 6-byte numbers.
    function _recordId(bytes32 subject, uint64 schemaId, uint256 number) private view returns (bytes32) {
        return keccak256(abi.encode(address(this), number, subject, schemaId));
    }

    function _liveNumber(bytes32 subject, uint64 schemaId, Standing storage standing, uint256 i)
        private
        view
        returns (uint48)
    {
        RecordRegistryStorage storage $ = _s();
        if (i == 0) return standing.live0;
        if (i == 1) return standing.live1;
        return $.moreLive[subject][schemaId][i - 2];
    }

    function _setLiveNumber(bytes32 subject, uint64 schemaId, Standing storage standing, uint256 i, uint48 number)
        private
    {
        RecordRegistryStorage storage $ = _s();
        if (i == 0) standing.live0 = number;
        else if (i == 1) standing.live1 = number;
        else $.moreLive[subject][schemaId][i - 2] = number;
    }

    function _liveId(bytes32 subject, uint64 schemaId, Standing storage standing, uint256 i)
        private
        view
        returns (bytes32)
    {
        return _recordId(subject, schemaId, _liveNumber(subject, schemaId, standing, i));
    }

    /// @dev Removes live entry `i` of `count` (the last one takes its place); returns the new count.
    function _removeLiveAt(bytes32 subject, uint64 schemaId, Standing storage standing, uint256 i, uint256 count)
        private
        returns (uint256)
    {
        uint256 last = count - 1;
        if (i != last) _setLiveNumber(subject, schemaId, standing, i, _liveNumber(subject, schemaId, standing, last));
        _setLiveNumber(subject, schemaId, standing, last, 0);
        standing.liveCount = uint8(last);
        return last;
    }

    /// @dev Adds a fresh (unstayed) record to the live set; when the set is full, prunes expired
    /// entries first (each reported). Bounded by MAX_LIVE_RECORDS.
    function _addLive(bytes32 subject, uint64 schemaId, uint48 number, uint64 effectiveExpiry, address operator)
        private
    {
        RecordRegistryStorage storage $ = _s();
        Standing storage standing = $.standing[subject][schemaId];
        uint256 count = standing.liveCount;
        if (count >= MAX_LIVE_RECORDS) {
            uint256 i = 0;
            while (i < count) {
                bytes32 id = _liveId(subject, schemaId, standing, i);
                uint64 expiresAt = $.records[id].expiresAt;
                if (expiresAt != 0 && block.timestamp >= expiresAt) {
                    count = _removeLiveAt(subject, schemaId, standing, i, count);
                    emit LiveRecordPruned(id, subject, operator, schemaId, expiresAt);
                } else {
                    ++i;
                }
            }
            if (count >= MAX_LIVE_RECORDS) revert RecordTooManyLive(subject, schemaId);
        }
        _setLiveNumber(subject, schemaId, standing, count, number);
        standing.liveCount = uint8(count + 1);
        uint64 stayEnd = standing.stayEnd;
        if (stayEnd != 0 && block.timestamp >= stayEnd) {
            _refreshStanding(subject, schemaId);
        } else if (effectiveExpiry > standing.validUntil) {
            standing.validUntil = effectiveExpiry;
        }
    }

    /// @dev Drops `recordId` from its live set (a no-op if it was pruned). Bounded by MAX_LIVE_RECORDS.
    function _removeLive(bytes32 subject, uint64 schemaId, bytes32 recordId) private {
        RecordRegistryStorage storage $ = _s();
        Standing storage standing = $.standing[subject][schemaId];
        uint256 count = standing.liveCount;
        for (uint256 i = 0; i < count; ++i) {
            if (_liveId(subject, schemaId, standing, i) == recordId) {
                _removeLiveAt(subject, schemaId, standing, i, count);
                return;
            }
        }
    }

    /// @dev Recomputes the summary at the block time. Bounded by MAX_LIVE_RECORDS.
    function _refreshStanding(bytes32 subject, uint64 schemaId) private {
        RecordRegistryStorage storage $ = _s();
        Standing storage standing = $.standing[subject][schemaId];
        (uint64 best, uint64 nextStayEnd) = _scan(subject, schemaId, standing);
        standing.validUntil = best;
        standing.stayEnd = nextStayEnd;
    }

    /// @dev At the block time: the latest expiry among live records not within a stay, and the
    /// earliest end of a running stay (0 = none). Bounded by MAX_LIVE_RECORDS record slots.
    function _scan(bytes32 subject, uint64 schemaId, Standing storage standing)
        private
        view
        returns (uint64 best, uint64 nextStayEnd)
    {
        RecordRegistryStorage storage $ = _s();
        uint256 count = standing.liveCount;
        for (uint256 i = 0; i < count; ++i) {
            Record storage record = $.records[_liveId(subject, schemaId, standing, i)];
            uint64 stayUntil = record.stayUntil;
            if (stayUntil > block.timestamp) {
                if (nextStayEnd == 0 || stayUntil < nextStayEnd) nextStayEnd = stayUntil;
                continue;
            }
            uint64 expiry = record.expiresAt == 0 ? _NEVER : record.expiresAt;
            if (expiry > best) best = expiry;
        }
    }

    /// @dev One summary slot unless a stay has lapsed since the last write (then an exact scan).
    function _hasValidRecord(bytes32 subject, uint64 schemaId) private view returns (bool) {
        return _validUntil(subject, schemaId) > block.timestamp;
    }

    /// @dev The summary's validUntil, or an exact scan when a stay has lapsed since the last write.
    function _validUntil(bytes32 subject, uint64 schemaId) private view returns (uint64 best) {
        RecordRegistryStorage storage $ = _s();
        Standing storage standing = $.standing[subject][schemaId];
        uint64 stayEnd = standing.stayEnd;
        if (stayEnd != 0 && block.timestamp >= stayEnd) {
            (best,) = _scan(subject, schemaId, standing);
        } else {
            best = standing.validUntil;
        }
    }

    // ----------------------------------------------------------------------------------------
    // Internal: schemas, the layout parser, signatures, policies
    // ----------------------------------------------------------------------------------------

    /// @dev `registerSchema` with its terms unpacked, each field read once from calldata (the
    /// contract is close to the EIP-170 size limit).
    function _registerSchema(
        string calldata name,
        string calldata fieldLayout,
        uint64 issuerRole,
        bool revocable,
        bool adverse,
        uint64 defaultValidity
    ) private returns (uint64 schemaId) {
        if (bytes(name).length == 0 || bytes(name).length > MAX_STRING_LENGTH
            || bytes(fieldLayout).length > MAX_STRING_LENGTH) {
            revert RecordInvalidSchemaText();
        }
        RecordRegistryStorage storage $ = _s();
        bytes32 nameHash = keccak256(bytes(name));
        {
            uint64 existing = $.schemaIdsByName[nameHash];
            if (existing != 0) revert RecordDuplicateSchemaName(existing);
        }
        if (issuerRole == CityRoles.ADMIN || issuerRole == CityRoles.PUBLIC) {
            revert RecordInvalidIssuerRole(issuerRole);
        }
        if (adverse && defaultValidity == 0) revert RecordAdverseNeedsValidity();
        if (defaultValidity > MAX_DEFAULT_VALIDITY) {
            revert RecordValidityTooLong(defaultValidity, MAX_DEFAULT_VALIDITY);
        }
        {
            schemaId = ++$.schemaCount;
            Schema storage schema = $.schemas[schemaId];
            (schema.fieldCount, schema.fieldTypes) = _layouts().parse(bytes(fieldLayout));
            schema.issuerRole = issuerRole;
            schema.defaultValidity = defaultValidity;
            schema.disputeStay = DEFAULT_DISPUTE_STAY;
            schema.revocable = revocable;
            schema.adverse = adverse;
            schema.active = true;
            schema.name = name;
            schema.fieldLayout = fieldLayout;
            $.schemaIdsByName[nameHash] = schemaId;
        }
        emit SchemaRegistered(schemaId, _msgSender(), name, fieldLayout, issuerRole, revocable, adverse, defaultValidity);
        emit DisputeStaySet(schemaId, _msgSender(), DEFAULT_DISPUTE_STAY);
    }

    /// @dev The layout parser of the implementation running (see the constructor).
    function _layouts() private view returns (RecordLayouts) {
        return _layoutsOf(ERC1967Utils.getImplementation());
    }

    /// @dev The first contract `implementation` created: keccak256(rlp([implementation, 1])).
    function _layoutsOf(address implementation) private pure returns (RecordLayouts) {
        return RecordLayouts(
            address(uint160(uint256(keccak256(abi.encodePacked(bytes2(0xd694), implementation, bytes1(0x01))))))
        );
    }

    function _issueStructHash(RecordInput calldata input, uint256 nonce, uint256 deadline)
        private
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                ISSUE_TYPEHASH,
                input.schemaId,
                input.subject,
                input.evidenceHash,
                keccak256(input.data),
                input.expiresAt,
                input.supersedes,
                nonce,
                deadline
            )
        );
    }

    function _checkPolicySchemas(uint64[] calldata schemaIds, bool adverse) private view {
        uint256 count = schemaIds.length;
        for (uint256 i = 0; i < count; ++i) {
            uint64 schemaId = schemaIds[i];
            if (_requireSchema(schemaId).adverse != adverse) revert RecordPolicySchemaKind(schemaId);
            for (uint256 j = 0; j < i; ++j) {
                if (schemaIds[j] == schemaId) revert RecordPolicyDuplicateSchema(schemaId);
            }
        }
    }

    function _requireSchema(uint64 schemaId) private view returns (Schema storage schema) {
        RecordRegistryStorage storage $ = _s();
        schema = $.schemas[schemaId];
        if (schema.issuerRole == 0) revert RecordUnknownSchema(schemaId);
    }

    function _requireRecord(bytes32 recordId) private view returns (Record storage record) {
        RecordRegistryStorage storage $ = _s();
        record = $.records[recordId];
        if (record.issuedAt == 0) revert RecordUnknown(recordId);
    }

    function _s() private pure returns (RecordRegistryStorage storage $) {
        assembly {
            $.slot := RECORD_REGISTRY_STORAGE
        }
    }
}
