// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";

/// @title RecordRegistry
/// @notice The city's credit platform: agencies issue records about registered identities under
/// schemas, subjects dispute adverse records, arbiters resolve disputes, and standing policies
/// answer "is this subject in good standing?" for other contracts.
///
/// Due process: every record names its schema, its issuer and its evidence hash; adverse records
/// must carry evidence and an expiry no later than the schema's default validity; the subject's
/// controller may dispute an adverse record once, and while the dispute is open the record does
/// not count. The arbiter upholds (the record counts again) or overturns (the record is revoked
/// with reason "overturned"). Every transition emits an event naming the actor.
///
/// Validity: a record is valid when it exists, is not revoked, has not expired and is not under
/// an open dispute (`isValid`).
///
/// Standing: the registry keeps, per (subject, schema), the set of live (non-revoked) records
/// (at most MAX_LIVE_RECORDS) and `validUntil`, the latest expiry among live undisputed records.
/// A valid record of that schema exists iff `validUntil > block.timestamp`, so `meetsPolicy`
/// reads one storage slot per schema. Gas bound of `meetsPolicy`: one call to the identity
/// registry, the policy's header and id slots (at most 3 + 2*ceil(8/4) slots) and one slot per
/// schema (at most MAX_POLICY_SCHEMAS + MAX_POLICY_SCHEMAS = 16), with no loop over records:
/// ~74k gas measured for the largest possible policy with every slot cold (tests/identity/
/// test_gas.py), independent of how many records the subject holds.
///
/// @dev Restricted functions (mapped by the deploy plan): `registerSchema`, `setSchemaActive`,
/// `setPolicy` -> RECORDS_ADMIN; `resolveDispute` -> ARBITER. Issuance and revocation are
/// per-schema: the caller (or, for signed issuance, the signer) must hold the schema's
/// `issuerRole` in the AccessManager with no execution delay.
contract RecordRegistry is IRecordRegistry, AccessManaged, EIP712, Nonces {
    /// @notice Where a record's dispute stands.
    enum DisputeStatus {
        None,
        Open,
        Upheld,
        Overturned,
        Withdrawn
    }

    /// @notice A kind of record, registered by the records administrator.
    struct Schema {
        uint64 issuerRole;
        uint64 defaultValidity;
        bool revocable;
        bool adverse;
        bool active;
        string name;
        string fieldLayout;
    }

    /// @notice What an issuer submits (directly, in a batch or signed).
    struct RecordInput {
        uint64 schemaId;
        bytes32 subject;
        bytes32 evidenceHash;
        string evidenceURI;
        bytes data;
        /// Unix time; 0 = the schema's default validity (never expires if that is 0 too).
        uint64 expiresAt;
        /// Id of a live record of the same subject and schema that this one replaces, or zero.
        bytes32 supersedes;
    }

    /// @notice A stored record. The first slot is all `isValid` reads.
    struct Record {
        uint64 issuedAt;
        uint64 expiresAt;
        uint64 revokedAt;
        DisputeStatus dispute;
        address issuer;
        uint64 schemaId;
        bytes32 subject;
        bytes32 evidenceHash;
        bytes32 supersedes;
        bytes32 supersededBy;
        /// keccak256(abi.encode(evidenceURI, data)) of the issuance, zero when both were empty.
        /// The URI and data themselves are in the `RecordIssued` event (see `contentHash`).
        bytes32 contentHash;
    }

    /// @notice A dispute raised by a subject's controller.
    struct Dispute {
        address raisedBy;
        uint64 openedAt;
        address resolvedBy;
        uint64 resolvedAt;
        bytes32 evidenceHash;
        bytes32 rulingHash;
    }

    /// @notice A standing policy: required schemas and disqualifying (adverse) schemas.
    struct Policy {
        bool exists;
        uint64[] required;
        uint64[] disqualifying;
        string name;
    }

    /// @notice Most records in one `issueBatch` / `revokeBatch`.
    uint256 public constant MAX_BATCH_SIZE = 50;
    /// @notice Most live (non-revoked) records per (subject, schema); expired ones are pruned
    /// when the set is full. Bounds every write path's recomputation of `validUntil`.
    uint256 public constant MAX_LIVE_RECORDS = 8;
    /// @notice Most required and, separately, most disqualifying schemas per policy.
    uint256 public constant MAX_POLICY_SCHEMAS = 8;
    /// @notice Longest record data, in bytes.
    uint256 public constant MAX_DATA_LENGTH = 1024;
    /// @notice Longest evidence URI, revocation reason or schema name / layout, in bytes.
    uint256 public constant MAX_STRING_LENGTH = 256;

    /// @notice EIP-712 type of a signed issuance (strings and bytes are hashed per EIP-712).
    bytes32 public constant ISSUE_TYPEHASH = keccak256(
        "IssueRecord(uint64 schemaId,bytes32 subject,bytes32 evidenceHash,string evidenceURI,bytes data,"
        "uint64 expiresAt,bytes32 supersedes,uint256 nonce,uint256 deadline)"
    );

    string private constant _OVERTURNED = "overturned";
    string private constant _SUPERSEDED = "superseded";
    uint64 private constant _NEVER = type(uint64).max;

    IIdentityRegistry private immutable _identities;

    mapping(uint64 schemaId => Schema) private _schemas;
    mapping(bytes32 nameHash => uint64 schemaId) private _schemaIdsByName;
    uint64 private _schemaCount;

    mapping(bytes32 recordId => Record) private _records;
    mapping(bytes32 recordId => Dispute) private _disputes;
    mapping(bytes32 subject => mapping(uint64 schemaId => bytes32[] recordIds)) private _live;
    mapping(bytes32 subject => mapping(uint64 schemaId => uint64 validUntil)) private _validUntil;
    uint256 private _recordCount;

    mapping(uint256 policyId => Policy) private _policies;

    /// @notice The records administrator registered schema `schemaId`.
    event SchemaRegistered(
        uint64 indexed schemaId,
        string name,
        string fieldLayout,
        uint64 issuerRole,
        bool revocable,
        bool adverse,
        uint64 defaultValidity,
        address indexed operator
    );
    /// @notice The records administrator opened or closed schema `schemaId` to new records.
    event SchemaActiveSet(uint64 indexed schemaId, bool active, address indexed operator);
    /// @notice The records administrator defined or replaced policy `policyId`.
    event PolicySet(
        uint256 indexed policyId, string name, uint64[] required, uint64[] disqualifying, address indexed operator
    );
    /// @notice `issuer` issued record `recordId` about `subject`; `operator` sent the transaction
    /// (the relayer, for signed issuance). `evidenceURI` and `data` are not stored: the record
    /// keeps their `contentHash`, and this event is where readers (and indexers) find them.
    event RecordIssued(
        bytes32 indexed recordId,
        bytes32 indexed subject,
        uint64 schemaId,
        address issuer,
        bytes32 evidenceHash,
        uint64 expiresAt,
        bytes32 supersedes,
        address indexed operator,
        string evidenceURI,
        bytes data
    );
    /// @notice Record `recordId` was revoked by `operator` ("overturned" for arbiter decisions,
    /// "superseded" when replaced by a newer record).
    event RecordRevoked(bytes32 indexed recordId, bytes32 indexed subject, string reason, address indexed operator);
    /// @notice The subject's controller `operator` disputed record `recordId`.
    event RecordDisputed(bytes32 indexed recordId, bytes32 indexed subject, bytes32 evidenceHash, address indexed operator);
    /// @notice The dispute on `recordId` closed with `outcome` (Upheld / Overturned by the
    /// arbiter, Withdrawn when the issuer revoked the record first).
    event DisputeResolved(
        bytes32 indexed recordId, bytes32 indexed subject, DisputeStatus outcome, bytes32 rulingHash, address indexed operator
    );

    /// @notice No schema with this id exists.
    error RecordUnknownSchema(uint64 schemaId);
    /// @notice This schema is closed to new records.
    error RecordSchemaInactive(uint64 schemaId);
    /// @notice A schema with this name already exists.
    error RecordDuplicateSchemaName(uint64 schemaId);
    /// @notice A schema name needs 1 to 256 bytes and a field layout at most 256 bytes.
    error RecordInvalidSchemaText();
    /// @notice This role cannot issue records (ADMIN and PUBLIC are refused).
    error RecordInvalidIssuerRole(uint64 roleId);
    /// @notice Adverse schemas need a non-zero default validity (adverse records always expire).
    error RecordAdverseNeedsValidity();
    /// @notice The account does not hold the schema's issuer role (or holds it with an execution delay).
    error RecordUnauthorizedIssuer(address account, uint64 roleId);
    /// @notice The subject is not a registered, active identity.
    error RecordSubjectNotActive(bytes32 subject);
    /// @notice The expiry is in the past or, for an adverse schema, beyond its default validity.
    error RecordInvalidExpiry(uint64 expiresAt);
    /// @notice Adverse records need a non-zero evidence hash; disputes too.
    error RecordMissingEvidence();
    /// @notice Data longer than MAX_DATA_LENGTH or a string longer than MAX_STRING_LENGTH.
    error RecordInputTooLong();
    /// @notice No record with this id exists.
    error RecordUnknown(bytes32 recordId);
    /// @notice The record is already revoked.
    error RecordAlreadyRevoked(bytes32 recordId);
    /// @notice The record's schema is not revocable by its issuer (only an arbiter can overturn it).
    error RecordNotRevocable(bytes32 recordId);
    /// @notice A record can only be superseded by a record of the same subject and schema.
    error RecordSupersedeMismatch(bytes32 recordId);
    /// @notice The record is under dispute: the arbiter decides first.
    error RecordUnderDispute(bytes32 recordId);
    /// @notice The subject already has 8 live records of this schema: supersede or revoke one first.
    error RecordTooManyLive(bytes32 subject, uint64 schemaId);
    /// @notice A batch must hold between 1 and max items.
    error RecordInvalidBatchSize(uint256 size, uint256 max);
    /// @notice Only adverse records can be disputed.
    error RecordNotAdverse(bytes32 recordId);
    /// @notice Only the current controller of the record's subject (active or not) may dispute it.
    error RecordNotSubjectController(address account);
    /// @notice The record has expired.
    error RecordExpired(bytes32 recordId);
    /// @notice The record was already disputed (one dispute per record; status 1 open, 2 upheld, 3 overturned, 4 withdrawn).
    error RecordAlreadyDisputed(bytes32 recordId, DisputeStatus status);
    /// @notice The record has no open dispute.
    error RecordNoOpenDispute(bytes32 recordId);
    /// @notice The signed request expired at deadline (unix time): ask the agency to sign again.
    error RecordSignatureExpired(uint256 deadline);
    /// @notice The signature is not the signer's over this request and its current nonce.
    error RecordInvalidSignature(address signer);
    /// @notice Policy id 0 is reserved.
    error RecordInvalidPolicyId();
    /// @notice No policy with this id is defined.
    error RecordUnknownPolicy(uint256 policyId);
    /// @notice A policy holds at most 8 required and 8 disqualifying schemas.
    error RecordPolicyTooLarge();
    /// @notice A schema appears twice in the policy.
    error RecordPolicyDuplicateSchema(uint64 schemaId);
    /// @notice Required schemas must be non-adverse and disqualifying schemas adverse.
    error RecordPolicySchemaKind(uint64 schemaId);

    /// @param initialAuthority The city's AccessManager.
    /// @param identities The IdentityRegistry whose subjects records are about.
    constructor(address initialAuthority, IIdentityRegistry identities)
        AccessManaged(initialAuthority)
        EIP712("CivicLedger RecordRegistry", "1")
    {
        _identities = identities;
    }

    // ----------------------------------------------------------------------------------------
    // Records administrator
    // ----------------------------------------------------------------------------------------

    /// @notice Registers a schema; returns its id (sequential from 1). Records admin only.
    /// @param name Unique human-readable name (e.g. "tax-compliance").
    /// @param fieldLayout ABI layout of the record data, e.g. "uint16 year,bool compliant".
    /// @param issuerRole AccessManager role whose members issue and revoke these records.
    /// @param revocable Whether issuers may revoke (arbiters can always overturn).
    /// @param adverse Whether the record counts against its subject (disputable, disqualifying).
    /// @param defaultValidity Seconds a record lasts when issued without expiry (0 = forever;
    /// required > 0 for adverse schemas, where it is also the longest validity allowed).
    function registerSchema(
        string calldata name,
        string calldata fieldLayout,
        uint64 issuerRole,
        bool revocable,
        bool adverse,
        uint64 defaultValidity
    ) external restricted returns (uint64 schemaId) {
        if (bytes(name).length == 0 || bytes(name).length > MAX_STRING_LENGTH
            || bytes(fieldLayout).length > MAX_STRING_LENGTH) {
            revert RecordInvalidSchemaText();
        }
        bytes32 nameHash = keccak256(bytes(name));
        uint64 existing = _schemaIdsByName[nameHash];
        if (existing != 0) revert RecordDuplicateSchemaName(existing);
        if (issuerRole == 0 || issuerRole == type(uint64).max) revert RecordInvalidIssuerRole(issuerRole);
        if (adverse && defaultValidity == 0) revert RecordAdverseNeedsValidity();

        schemaId = ++_schemaCount;
        _schemas[schemaId] = Schema({
            issuerRole: issuerRole,
            defaultValidity: defaultValidity,
            revocable: revocable,
            adverse: adverse,
            active: true,
            name: name,
            fieldLayout: fieldLayout
        });
        _schemaIdsByName[nameHash] = schemaId;
        emit SchemaRegistered(
            schemaId, name, fieldLayout, issuerRole, revocable, adverse, defaultValidity, _msgSender()
        );
    }

    /// @notice Opens or closes schema `schemaId` to new records; existing records are unaffected.
    /// Records admin only.
    function setSchemaActive(uint64 schemaId, bool active) external restricted {
        _requireSchema(schemaId).active = active;
        emit SchemaActiveSet(schemaId, active, _msgSender());
    }

    /// @notice Defines or replaces standing policy `policyId`. Records admin only.
    /// @param policyId Any non-zero id (chosen by the admin so other contracts can be configured
    /// with it ahead of time).
    /// @param required Non-adverse schemas of which the subject needs a valid record (<= 8).
    /// @param disqualifying Adverse schemas of which the subject must have no valid record (<= 8).
    function setPolicy(
        uint256 policyId,
        string calldata name,
        uint64[] calldata required,
        uint64[] calldata disqualifying
    ) external restricted {
        if (policyId == 0) revert RecordInvalidPolicyId();
        if (bytes(name).length > MAX_STRING_LENGTH) revert RecordInputTooLong();
        if (required.length > MAX_POLICY_SCHEMAS || disqualifying.length > MAX_POLICY_SCHEMAS) {
            revert RecordPolicyTooLarge();
        }
        _checkPolicySchemas(required, false);
        _checkPolicySchemas(disqualifying, true);
        Policy storage policy = _policies[policyId];
        policy.exists = true;
        policy.required = required;
        policy.disqualifying = disqualifying;
        policy.name = name;
        emit PolicySet(policyId, name, required, disqualifying, _msgSender());
    }

    // ----------------------------------------------------------------------------------------
    // Issuers
    // ----------------------------------------------------------------------------------------

    /// @notice Issues a record about `input.subject` under `input.schemaId`. The caller must hold
    /// the schema's issuer role; the subject must be an Active identity. Returns the record id.
    function issue(RecordInput calldata input) external returns (bytes32 recordId) {
        address caller = _msgSender();
        return _issue(input, caller, caller);
    }

    /// @notice Issues up to MAX_BATCH_SIZE records in one transaction (all or nothing).
    function issueBatch(RecordInput[] calldata inputs) external returns (bytes32[] memory recordIds) {
        uint256 size = inputs.length;
        if (size == 0 || size > MAX_BATCH_SIZE) revert RecordInvalidBatchSize(size, MAX_BATCH_SIZE);
        address caller = _msgSender();
        recordIds = new bytes32[](size);
        for (uint256 i = 0; i < size; ++i) {
            recordIds[i] = _issue(inputs[i], caller, caller);
        }
    }

    /// @notice Issues a record signed off-line by `signer` (EIP-712 `IssueRecord`, nonce =
    /// `nonces(signer)`), relayed by anyone. `signer` may be an EOA or an ERC-1271 wallet and
    /// must hold the schema's issuer role; it is recorded as the issuer, the caller as operator.
    function issueWithSignature(
        RecordInput calldata input,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 recordId) {
        if (block.timestamp > deadline) revert RecordSignatureExpired(deadline);
        bytes32 digest = _hashTypedDataV4(_issueStructHash(input, _useNonce(signer), deadline));
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert RecordInvalidSignature(signer);
        }
        return _issue(input, signer, _msgSender());
    }

    /// @notice Revokes record `recordId` with `reason`. The caller must hold the schema's issuer
    /// role and the schema must be revocable. Revoking a disputed record closes the dispute as
    /// Withdrawn (the issuer concedes).
    function revoke(bytes32 recordId, string calldata reason) external {
        _revokeByIssuer(recordId, reason, _msgSender());
    }

    /// @notice Revokes up to MAX_BATCH_SIZE records with one reason (all or nothing).
    function revokeBatch(bytes32[] calldata recordIds, string calldata reason) external {
        uint256 size = recordIds.length;
        if (size == 0 || size > MAX_BATCH_SIZE) revert RecordInvalidBatchSize(size, MAX_BATCH_SIZE);
        address caller = _msgSender();
        for (uint256 i = 0; i < size; ++i) {
            _revokeByIssuer(recordIds[i], reason, caller);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Subjects and arbiters
    // ----------------------------------------------------------------------------------------

    /// @notice Disputes adverse record `recordId`; only the subject's current controller, once
    /// per record, while the record is live and unexpired. The record stops counting until the
    /// arbiter decides.
    /// @param evidenceHash Hash of the subject's evidence (documents stay off chain).
    function dispute(bytes32 recordId, bytes32 evidenceHash) external {
        Record storage record = _requireRecord(recordId);
        address caller = _msgSender();
        if (!_schemas[record.schemaId].adverse) revert RecordNotAdverse(recordId);
        if (record.revokedAt != 0) revert RecordAlreadyRevoked(recordId);
        if (record.expiresAt != 0 && block.timestamp >= record.expiresAt) revert RecordExpired(recordId);
        if (record.dispute != DisputeStatus.None) revert RecordAlreadyDisputed(recordId, record.dispute);
        bytes32 subject = record.subject;
        // Due process: a suspended or closed subject keeps the right to dispute (controllerOf, not
        // activeControllerOf); the record only stops counting until the arbiter rules.
        if (caller != _identities.controllerOf(subject)) revert RecordNotSubjectController(caller);
        if (evidenceHash == bytes32(0)) revert RecordMissingEvidence();

        record.dispute = DisputeStatus.Open;
        Dispute storage entry = _disputes[recordId];
        entry.raisedBy = caller;
        entry.openedAt = uint64(block.timestamp);
        entry.evidenceHash = evidenceHash;
        _refreshValidUntil(subject, record.schemaId);
        emit RecordDisputed(recordId, subject, evidenceHash, caller);
    }

    /// @notice Decides the open dispute on `recordId`: upheld (the record counts again) or
    /// overturned (the record is revoked with reason "overturned"). Arbiter only.
    /// @param rulingHash Hash of the written decision.
    function resolveDispute(bytes32 recordId, bool upheld, bytes32 rulingHash) external restricted {
        Record storage record = _requireRecord(recordId);
        if (record.dispute != DisputeStatus.Open) revert RecordNoOpenDispute(recordId);
        address caller = _msgSender();
        DisputeStatus outcome = upheld ? DisputeStatus.Upheld : DisputeStatus.Overturned;
        record.dispute = outcome;
        Dispute storage entry = _disputes[recordId];
        entry.resolvedBy = caller;
        entry.resolvedAt = uint64(block.timestamp);
        entry.rulingHash = rulingHash;
        bytes32 subject = record.subject;
        if (upheld) {
            _refreshValidUntil(subject, record.schemaId);
            emit DisputeResolved(recordId, subject, outcome, rulingHash, caller);
        } else {
            emit DisputeResolved(recordId, subject, outcome, rulingHash, caller);
            _revoke(recordId, record, _OVERTURNED, caller);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function isValid(bytes32 recordId) public view returns (bool) {
        Record storage record = _records[recordId];
        return record.issuedAt != 0 && record.revokedAt == 0 && record.dispute != DisputeStatus.Open
            && (record.expiresAt == 0 || block.timestamp < record.expiresAt);
    }

    /// @inheritdoc IRecordRegistry
    /// @dev Reverts with RecordUnknownPolicy for an undefined policy (a configuration error).
    /// Gas is bounded: at most 2 * MAX_POLICY_SCHEMAS summary reads, no loop over records.
    function meetsPolicy(bytes32 subject, uint256 policyId) external view returns (bool) {
        Policy storage policy = _policies[policyId];
        if (!policy.exists) revert RecordUnknownPolicy(policyId);
        if (!_identities.isActive(subject)) return false;
        mapping(uint64 schemaId => uint64 validUntil) storage standing = _validUntil[subject];
        uint64[] storage required = policy.required;
        uint256 count = required.length;
        for (uint256 i = 0; i < count; ++i) {
            if (standing[required[i]] <= block.timestamp) return false;
        }
        uint64[] storage disqualifying = policy.disqualifying;
        count = disqualifying.length;
        for (uint256 i = 0; i < count; ++i) {
            if (standing[disqualifying[i]] > block.timestamp) return false;
        }
        return true;
    }

    /// @inheritdoc IRecordRegistry
    function policyExists(uint256 policyId) external view returns (bool) {
        return _policies[policyId].exists;
    }

    /// @notice True when `subject` holds a valid record of `schemaId` (what policies check).
    function hasValidRecord(bytes32 subject, uint64 schemaId) external view returns (bool) {
        return _validUntil[subject][schemaId] > block.timestamp;
    }

    /// @notice Latest expiry among `subject`'s live undisputed records of `schemaId`
    /// (0 = none, 2**64-1 = never expires).
    function validUntil(bytes32 subject, uint64 schemaId) external view returns (uint64) {
        return _validUntil[subject][schemaId];
    }

    /// @notice Ids of `subject`'s live (non-revoked, possibly expired or disputed) records of
    /// `schemaId` (at most MAX_LIVE_RECORDS).
    function liveRecordsOf(bytes32 subject, uint64 schemaId) external view returns (bytes32[] memory) {
        return _live[subject][schemaId];
    }

    /// @notice The stored record `recordId` (issuedAt == 0 when unknown).
    function getRecord(bytes32 recordId) external view returns (Record memory) {
        return _records[recordId];
    }

    /// @notice The dispute of `recordId` (status is in `getRecord(recordId).dispute`).
    function getDispute(bytes32 recordId) external view returns (Dispute memory) {
        return _disputes[recordId];
    }

    /// @notice Schema `schemaId` (issuerRole == 0 when unknown).
    function getSchema(uint64 schemaId) external view returns (Schema memory) {
        return _schemas[schemaId];
    }

    /// @notice Id of the schema called `name` (0 when none).
    function schemaIdByName(string calldata name) external view returns (uint64) {
        return _schemaIdsByName[keccak256(bytes(name))];
    }

    /// @notice Number of schemas registered (ids are 1..schemaCount).
    function schemaCount() external view returns (uint64) {
        return _schemaCount;
    }

    /// @notice Policy `policyId` (exists == false when undefined).
    function getPolicy(uint256 policyId) external view returns (Policy memory) {
        return _policies[policyId];
    }

    /// @notice The content hash `getRecord(..).contentHash` commits to: the issuance's evidence
    /// URI and data, which are logged in `RecordIssued` rather than stored.
    function contentHash(string calldata evidenceURI, bytes calldata data) external pure returns (bytes32) {
        return _contentHash(evidenceURI, data);
    }

    /// @notice Number of records ever issued.
    function recordCount() external view returns (uint256) {
        return _recordCount;
    }

    /// @notice The identity registry records refer to.
    function identityRegistry() external view returns (IIdentityRegistry) {
        return _identities;
    }

    /// @notice The EIP-712 digest `signer` must sign to have `input` issued with `nonce` and
    /// `deadline` (for off-line signing tools).
    function issueDigest(RecordInput calldata input, uint256 nonce, uint256 deadline) external view returns (bytes32) {
        return _hashTypedDataV4(_issueStructHash(input, nonce, deadline));
    }

    /// @notice The EIP-712 domain separator of this registry.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ----------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------

    function _issue(RecordInput calldata input, address issuer, address operator) private returns (bytes32 recordId) {
        uint64 expiresAt = _checkIssuance(input, issuer);
        recordId = keccak256(abi.encode(address(this), ++_recordCount, input.subject, input.schemaId));
        if (input.supersedes != bytes32(0)) _supersede(input, recordId, operator);
        _store(recordId, input, issuer, expiresAt);
        emit RecordIssued(
            recordId,
            input.subject,
            input.schemaId,
            issuer,
            input.evidenceHash,
            expiresAt,
            input.supersedes,
            operator,
            input.evidenceURI,
            input.data
        );
    }

    /// @dev Every check of an issuance except supersession; returns the effective expiry.
    function _checkIssuance(RecordInput calldata input, address issuer) private view returns (uint64 expiresAt) {
        Schema storage schema = _requireSchema(input.schemaId);
        if (!schema.active) revert RecordSchemaInactive(input.schemaId);
        if (!_hasImmediateRole(schema.issuerRole, issuer)) revert RecordUnauthorizedIssuer(issuer, schema.issuerRole);
        if (!_identities.isActive(input.subject)) revert RecordSubjectNotActive(input.subject);
        if (input.data.length > MAX_DATA_LENGTH || bytes(input.evidenceURI).length > MAX_STRING_LENGTH) {
            revert RecordInputTooLong();
        }
        expiresAt = _checkedExpiry(schema, input.expiresAt);
        if (schema.adverse && input.evidenceHash == bytes32(0)) revert RecordMissingEvidence();
    }

    /// @dev Revokes the record `input.supersedes` in favour of `recordId` ("superseded").
    function _supersede(RecordInput calldata input, bytes32 recordId, address operator) private {
        bytes32 oldId = input.supersedes;
        Record storage old = _requireRecord(oldId);
        if (old.subject != input.subject || old.schemaId != input.schemaId) revert RecordSupersedeMismatch(oldId);
        if (old.revokedAt != 0) revert RecordAlreadyRevoked(oldId);
        if (!_schemas[input.schemaId].revocable) revert RecordNotRevocable(oldId);
        if (old.dispute == DisputeStatus.Open) revert RecordUnderDispute(oldId);
        old.supersededBy = recordId;
        _revoke(oldId, old, _SUPERSEDED, operator);
    }

    /// @dev Zero for an issuance without URI and data (nothing to commit to, no slot written).
    function _contentHash(string calldata evidenceURI, bytes calldata data) private pure returns (bytes32) {
        if (bytes(evidenceURI).length == 0 && data.length == 0) return bytes32(0);
        return keccak256(abi.encode(evidenceURI, data));
    }

    function _store(bytes32 recordId, RecordInput calldata input, address issuer, uint64 expiresAt) private {
        Record storage record = _records[recordId];
        record.issuedAt = uint64(block.timestamp);
        record.expiresAt = expiresAt;
        record.issuer = issuer;
        record.schemaId = input.schemaId;
        record.subject = input.subject;
        record.evidenceHash = input.evidenceHash;
        record.supersedes = input.supersedes;
        record.contentHash = _contentHash(input.evidenceURI, input.data);
        _addLive(input.subject, input.schemaId, recordId, expiresAt == 0 ? _NEVER : expiresAt);
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

    function _revokeByIssuer(bytes32 recordId, string calldata reason, address caller) private {
        if (bytes(reason).length > MAX_STRING_LENGTH) revert RecordInputTooLong();
        Record storage record = _requireRecord(recordId);
        Schema storage schema = _schemas[record.schemaId];
        if (!_hasImmediateRole(schema.issuerRole, caller)) revert RecordUnauthorizedIssuer(caller, schema.issuerRole);
        if (!schema.revocable) revert RecordNotRevocable(recordId);
        if (record.revokedAt != 0) revert RecordAlreadyRevoked(recordId);
        if (record.dispute == DisputeStatus.Open) {
            record.dispute = DisputeStatus.Withdrawn;
            Dispute storage entry = _disputes[recordId];
            entry.resolvedBy = caller;
            entry.resolvedAt = uint64(block.timestamp);
            emit DisputeResolved(recordId, record.subject, DisputeStatus.Withdrawn, bytes32(0), caller);
        }
        _revoke(recordId, record, reason, caller);
    }

    /// @dev Marks `record` revoked, drops it from the live set and refreshes the standing summary.
    function _revoke(bytes32 recordId, Record storage record, string memory reason, address operator) private {
        record.revokedAt = uint64(block.timestamp);
        bytes32 subject = record.subject;
        uint64 schemaId = record.schemaId;
        bytes32[] storage live = _live[subject][schemaId];
        uint256 count = live.length;
        for (uint256 i = 0; i < count; ++i) {
            if (live[i] == recordId) {
                live[i] = live[count - 1];
                live.pop();
                break;
            }
        }
        _refreshValidUntil(subject, schemaId);
        emit RecordRevoked(recordId, subject, reason, operator);
    }

    /// @dev Adds a fresh (undisputed) record to the live set; when the set is full, drops expired
    /// entries first. Bounded by MAX_LIVE_RECORDS.
    function _addLive(bytes32 subject, uint64 schemaId, bytes32 recordId, uint64 effectiveExpiry) private {
        bytes32[] storage live = _live[subject][schemaId];
        if (live.length >= MAX_LIVE_RECORDS) {
            uint256 i = 0;
            while (i < live.length) {
                uint64 expiresAt = _records[live[i]].expiresAt;
                if (expiresAt != 0 && block.timestamp >= expiresAt) {
                    live[i] = live[live.length - 1];
                    live.pop();
                } else {
                    ++i;
                }
            }
            if (live.length >= MAX_LIVE_RECORDS) revert RecordTooManyLive(subject, schemaId);
        }
        _live[subject][schemaId].push(recordId);
        if (effectiveExpiry > _validUntil[subject][schemaId]) _validUntil[subject][schemaId] = effectiveExpiry;
    }

    /// @dev Recomputes the latest expiry among live undisputed records. Bounded by MAX_LIVE_RECORDS.
    function _refreshValidUntil(bytes32 subject, uint64 schemaId) private {
        bytes32[] storage live = _live[subject][schemaId];
        uint256 count = live.length;
        uint64 best = 0;
        for (uint256 i = 0; i < count; ++i) {
            Record storage record = _records[live[i]];
            if (record.dispute == DisputeStatus.Open) continue;
            uint64 expiry = record.expiresAt == 0 ? _NEVER : record.expiresAt;
            if (expiry > best) best = expiry;
        }
        _validUntil[subject][schemaId] = best;
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
                keccak256(bytes(input.evidenceURI)),
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
        schema = _schemas[schemaId];
        if (schema.issuerRole == 0) revert RecordUnknownSchema(schemaId);
    }

    function _requireRecord(bytes32 recordId) private view returns (Record storage record) {
        record = _records[recordId];
        if (record.issuedAt == 0) revert RecordUnknown(recordId);
    }

    /// @dev True when `account` holds `roleId` with no execution delay.
    function _hasImmediateRole(uint64 roleId, address account) private view returns (bool) {
        (bool isMember, uint32 executionDelay) = IAccessManager(authority()).hasRole(roleId, account);
        return isMember && executionDelay == 0;
    }
}
