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
/// 7. Signed issuance (EIP-712, relayed by anyone): the signer's nonce orders its signatures;
///    the signer cancels outstanding ones by moving its nonce forward (`invalidateNonces`, at
///    most MAX_NONCE_STEP per call) and a deadline more than MAX_SIGNATURE_LIFETIME (30 days)
///    ahead of the block time is refused.
///
/// Gas bound of `meetsPolicy`: one call to the identity registry, the policy's header and id
/// slots (at most 3 + 2*ceil(8/4) slots) and one summary slot per schema (at most 16). A
/// disqualifying schema whose summary holds a lapsed stay adds at most 2 live-set slots and
/// MAX_LIVE_RECORDS record slots (required schemas are never adverse, so never stayed): ~74k gas
/// for the largest policy with every slot cold and no lapsed stay, and ~340k with all 8
/// disqualifying schemas holding 8 records each behind lapsed stays (both measured in
/// tests/identity/test_gas.py), independent of how many records the subject ever held.
///
/// @dev Restricted functions (mapped by the deploy plan): `registerSchema`, `setSchemaActive`,
/// `setDisputeStay`, `setPolicy` -> RECORDS_ADMIN; `resolveDispute`, `grantStay` -> ARBITER.
/// Issuance and revocation are per-schema: the caller (or, for signed issuance, the signer) must
/// hold the schema's `issuerRole` in the AccessManager with no execution delay.
contract RecordRegistry is IRecordRegistry, AccessManaged, EIP712, Nonces {
    /// @notice Where a record's dispute stands.
    enum DisputeStatus {
        None,
        Open,
        Upheld,
        Overturned,
        Withdrawn
    }

    /// @notice A kind of record, registered by the records administrator. The first slot holds
    /// everything issuance and disputes read, `fieldTypes` the layout's type codes.
    struct Schema {
        uint64 issuerRole;
        uint64 defaultValidity;
        /// Seconds an open dispute suspends a record of this schema (0 = no automatic stay).
        uint64 disputeStay;
        bool revocable;
        bool adverse;
        bool active;
        /// Number of fields of `fieldLayout` (the data holds one 32-byte word per field).
        uint8 fieldCount;
        /// One type code per field, first field in the highest byte: (kind << 5) | (bytes - 1),
        /// kind 1 uint, 2 int, 3 bool, 4 bytesN.
        bytes32 fieldTypes;
        string name;
        string fieldLayout;
    }

    /// @notice What an issuer submits (directly, in a batch or signed).
    struct RecordInput {
        uint64 schemaId;
        bytes32 subject;
        bytes32 evidenceHash;
        /// One ABI word per field of the schema's layout (`abi.encode` of the fields).
        bytes data;
        /// Unix time; 0 = the schema's default validity (never expires if that is 0 too).
        uint64 expiresAt;
        /// Id of a live record of the same subject and schema that this one replaces, or zero.
        bytes32 supersedes;
    }

    /// @notice A stored record. The first slot is all `isValid` reads. The data is not stored:
    /// it is in the `RecordIssued` event (typed and checked against the schema on issuance).
    struct Record {
        uint64 issuedAt;
        uint64 expiresAt;
        uint64 revokedAt;
        /// End of the running dispute stay (0 = none): the record does not count before it.
        uint64 stayUntil;
        address issuer;
        uint64 schemaId;
        DisputeStatus dispute;
        bytes32 subject;
        bytes32 evidenceHash;
        bytes32 supersedes;
        bytes32 supersededBy;
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

    /// @dev Per (subject, schema): the standing summary and the first two live record numbers,
    /// in one slot (a subject's first record of a schema writes no other live-set slot).
    struct Standing {
        uint64 validUntil;
        uint64 stayEnd;
        uint8 liveCount;
        uint48 live0;
        uint48 live1;
    }

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
    uint256 private constant _KIND_UINT = 1;
    uint256 private constant _KIND_INT = 2;
    uint256 private constant _KIND_BOOL = 3;
    uint256 private constant _KIND_BYTES = 4;

    IIdentityRegistry private immutable _identities;

    mapping(uint64 schemaId => Schema) private _schemas;
    mapping(bytes32 nameHash => uint64 schemaId) private _schemaIdsByName;
    uint64 private _schemaCount;

    mapping(bytes32 recordId => Record) private _records;
    mapping(bytes32 recordId => Dispute) private _disputes;
    mapping(bytes32 subject => mapping(uint64 schemaId => Standing)) private _standing;
    /// @dev Live record numbers 3..8 of a (subject, schema) (the first two are in `_standing`).
    mapping(bytes32 subject => mapping(uint64 schemaId => uint48[6])) private _moreLive;
    uint48 private _recordCount;

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
    /// @notice The dispute stay of schema `schemaId` is now `stay` seconds (for disputes opened
    /// from now on; a new schema starts with DEFAULT_DISPUTE_STAY).
    event DisputeStaySet(uint64 indexed schemaId, address indexed operator, uint64 stay);
    /// @notice The records administrator defined or replaced policy `policyId`.
    event PolicySet(
        uint256 indexed policyId, string name, uint64[] required, uint64[] disqualifying, address indexed operator
    );
    /// @notice `issuer` issued record `recordId` about `subject`; `operator` sent the transaction
    /// (the relayer, for signed issuance). `data` (one word per field of the schema's layout,
    /// checked on chain) is not stored: this event is where readers find it.
    event RecordIssued(
        bytes32 indexed recordId,
        bytes32 indexed subject,
        uint64 schemaId,
        address issuer,
        bytes32 evidenceHash,
        uint64 expiresAt,
        bytes32 supersedes,
        address indexed operator,
        bytes data
    );
    /// @notice Record `recordId` was revoked by `operator` with reason `reasonCode` (1 issued in
    /// error, 2 remedied, 3 superseded: `reasonHash` is the new record's id, 4 overturned:
    /// `reasonHash` is the ruling, 5 other) and `reasonHash`, the hash of the reason document.
    event RecordRevoked(
        bytes32 indexed recordId, bytes32 indexed subject, uint16 reasonCode, bytes32 reasonHash, address indexed operator
    );
    /// @notice The subject's controller `operator` disputed record `recordId`; it does not count
    /// until `stayUntil` (0: the schema has no automatic stay).
    event RecordDisputed(
        bytes32 indexed recordId, bytes32 indexed subject, bytes32 evidenceHash, address indexed operator, uint64 stayUntil
    );
    /// @notice The dispute on `recordId` closed with `outcome` (Upheld / Overturned by the
    /// arbiter, Withdrawn when the issuer revoked the record first).
    event DisputeResolved(
        bytes32 indexed recordId, bytes32 indexed subject, DisputeStatus outcome, bytes32 rulingHash, address indexed operator
    );
    /// @notice The arbiter `operator` suspended disputed record `recordId` until `until`, for the
    /// reason in the document hashed `reasonHash`.
    event DisputeStayGranted(
        bytes32 indexed recordId, bytes32 indexed subject, address indexed operator, uint64 until, bytes32 reasonHash
    );
    /// @notice The stay of disputed record `recordId` ended at `stayUntil`: it counts again until
    /// the arbiter decides (reported by `operator`; the record counted again from `stayUntil`).
    event DisputeStayLapsed(
        bytes32 indexed recordId, bytes32 indexed subject, address indexed operator, uint64 stayUntil
    );
    /// @notice Expired record `recordId` left the full live set of (`subject`, `schemaId`) to
    /// make room for a new record (it stays readable and revocable).
    event LiveRecordPruned(
        bytes32 indexed recordId, bytes32 indexed subject, address indexed operator, uint64 schemaId, uint64 expiredAt
    );
    /// @notice `signer` cancelled its signatures with nonces below `newNonce`.
    event NoncesInvalidated(address indexed signer, uint256 newNonce);

    /// @notice No schema with this id exists.
    error RecordUnknownSchema(uint64 schemaId);
    /// @notice This schema is closed to new records.
    error RecordSchemaInactive(uint64 schemaId);
    /// @notice A schema with this name already exists.
    error RecordDuplicateSchemaName(uint64 schemaId);
    /// @notice A schema name needs 1 to 256 bytes and a field layout at most 256 bytes.
    error RecordInvalidSchemaText();
    /// @notice The field layout is not "<type> <name>,..." with static types (uintN, intN, bool,
    /// bytesN), distinct identifier names and at most 16 fields; `position` is the byte offset.
    error RecordInvalidLayout(uint256 position);
    /// @notice This role cannot issue records (ADMIN and PUBLIC are refused).
    error RecordInvalidIssuerRole(uint64 roleId);
    /// @notice Adverse schemas need a non-zero default validity (adverse records always expire).
    error RecordAdverseNeedsValidity();
    /// @notice The default validity exceeds the maximum (100 years).
    error RecordValidityTooLong(uint64 validity, uint64 max);
    /// @notice The account does not hold the schema's issuer role (or holds it with an execution delay).
    error RecordUnauthorizedIssuer(address account, uint64 roleId);
    /// @notice The subject is not a registered, active identity.
    error RecordSubjectNotActive(bytes32 subject);
    /// @notice The expiry is in the past or, for an adverse schema, beyond its default validity.
    error RecordInvalidExpiry(uint64 expiresAt);
    /// @notice Adverse records, disputes, stays and revocations with code 5 (other) need a
    /// non-zero document hash.
    error RecordMissingEvidence();
    /// @notice The record data does not match the schema's layout: field `fieldIndex` is out of
    /// range for its type, or (fieldIndex == number of fields) the data is not one word per field.
    error RecordDataMismatch(uint64 schemaId, uint256 fieldIndex);
    /// @notice A policy name is longer than 256 bytes.
    error RecordInputTooLong();
    /// @notice No record with this id exists.
    error RecordUnknown(bytes32 recordId);
    /// @notice The record is already revoked.
    error RecordAlreadyRevoked(bytes32 recordId);
    /// @notice The record's schema is not revocable by its issuer (only an arbiter can overturn it).
    error RecordNotRevocable(bytes32 recordId);
    /// @notice Issuers revoke with reason code 1 (issued in error), 2 (remedied) or 5 (other).
    error RecordInvalidReasonCode(uint16 reasonCode);
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
    /// @notice A stay must end in the future, later than the running one and at most 90 days
    /// ahead; a schema's dispute stay is at most 90 days.
    error RecordInvalidStay(uint64 stay);
    /// @notice The record has no dispute stay that has lapsed (stayUntil 0: none; else it ends then).
    error RecordStayNotLapsed(bytes32 recordId, uint64 stayUntil);
    /// @notice The signed request expired at deadline (unix time): ask the agency to sign again.
    error RecordSignatureExpired(uint256 deadline);
    /// @notice The deadline lies more than 30 days ahead (latest: the furthest accepted now).
    error RecordSignatureDeadlineTooFar(uint256 deadline, uint256 latest);
    /// @notice The signature is not the signer's over this request and its current nonce.
    error RecordInvalidSignature(address signer);
    /// @notice The new nonce must be above the current one and at most 256 ahead.
    error RecordInvalidNonce(uint256 current, uint256 newNonce);
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

    /// @notice Registers a schema; returns its id (sequential from 1). Records admin only. Its
    /// dispute stay starts at DEFAULT_DISPUTE_STAY (see `setDisputeStay`).
    /// @param name Unique human-readable name (e.g. "tax-compliance").
    /// @param fieldLayout Layout of the record data, e.g. "uint16 year,bool compliant": static
    /// types only (uint8..uint256, int8..int256, bool, bytes1..bytes32), at most 16 fields.
    /// @param issuerRole AccessManager role whose members issue and revoke these records.
    /// @param revocable Whether issuers may revoke (arbiters can always overturn).
    /// @param adverse Whether the record counts against its subject (disputable, disqualifying).
    /// @param defaultValidity Seconds a record lasts when issued without expiry (0 = forever;
    /// required > 0 for adverse schemas, where it is also the longest validity allowed; at most
    /// MAX_DEFAULT_VALIDITY).
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
        if (defaultValidity > MAX_DEFAULT_VALIDITY) {
            revert RecordValidityTooLong(defaultValidity, MAX_DEFAULT_VALIDITY);
        }
        schemaId = ++_schemaCount;
        Schema storage schema = _schemas[schemaId];
        (schema.fieldCount, schema.fieldTypes) = _parseLayout(bytes(fieldLayout));
        schema.issuerRole = issuerRole;
        schema.defaultValidity = defaultValidity;
        schema.disputeStay = DEFAULT_DISPUTE_STAY;
        schema.revocable = revocable;
        schema.adverse = adverse;
        schema.active = true;
        schema.name = name;
        schema.fieldLayout = fieldLayout;
        _schemaIdsByName[nameHash] = schemaId;
        emit SchemaRegistered(
            schemaId, name, fieldLayout, issuerRole, revocable, adverse, defaultValidity, _msgSender()
        );
        emit DisputeStaySet(schemaId, _msgSender(), DEFAULT_DISPUTE_STAY);
    }

    /// @notice Opens or closes schema `schemaId` to new records; existing records are unaffected.
    /// Records admin only.
    function setSchemaActive(uint64 schemaId, bool active) external restricted {
        _requireSchema(schemaId).active = active;
        emit SchemaActiveSet(schemaId, active, _msgSender());
    }

    /// @notice Sets how long an open dispute suspends a record of schema `schemaId`, for disputes
    /// opened from now on (0 = disputes never suspend unless the arbiter grants a stay). Records
    /// admin only.
    /// @param stay Seconds, at most MAX_DISPUTE_STAY.
    function setDisputeStay(uint64 schemaId, uint64 stay) external restricted {
        if (stay > MAX_DISPUTE_STAY) revert RecordInvalidStay(stay);
        _requireSchema(schemaId).disputeStay = stay;
        emit DisputeStaySet(schemaId, _msgSender(), stay);
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
    /// the schema's issuer role; the subject must be an Active identity; the data must match
    /// the schema's layout. Returns the record id.
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
    /// @param deadline Unix time after which the signature is refused; at most
    /// MAX_SIGNATURE_LIFETIME ahead of the block time.
    function issueWithSignature(
        RecordInput calldata input,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 recordId) {
        if (block.timestamp > deadline) revert RecordSignatureExpired(deadline);
        uint256 latest = block.timestamp + MAX_SIGNATURE_LIFETIME;
        if (deadline > latest) revert RecordSignatureDeadlineTooFar(deadline, latest);
        bytes32 digest = _hashTypedDataV4(_issueStructHash(input, _useNonce(signer), deadline));
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert RecordInvalidSignature(signer);
        }
        return _issue(input, signer, _msgSender());
    }

    /// @notice Cancels the caller's outstanding signed issuances: moves its nonce to `newNonce`,
    /// so every signature with a lower nonce can no longer be relayed.
    /// @param newNonce Above the current nonce and at most MAX_NONCE_STEP ahead of it.
    function invalidateNonces(uint256 newNonce) external {
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

    /// @notice Revokes record `recordId`. The caller must hold the schema's issuer role and the
    /// schema must be revocable. Revoking a disputed record closes the dispute as Withdrawn (the
    /// issuer concedes).
    /// @param reasonCode 1 issued in error, 2 remedied (e.g. paid), 5 other (see the document).
    /// @param reasonHash Hash of the document stating the reason (required for code 5).
    function revoke(bytes32 recordId, uint16 reasonCode, bytes32 reasonHash) external {
        _checkReason(reasonCode, reasonHash);
        _revokeByIssuer(recordId, reasonCode, reasonHash, _msgSender());
    }

    /// @notice Revokes up to MAX_BATCH_SIZE records with one reason (all or nothing).
    function revokeBatch(bytes32[] calldata recordIds, uint16 reasonCode, bytes32 reasonHash) external {
        uint256 size = recordIds.length;
        if (size == 0 || size > MAX_BATCH_SIZE) revert RecordInvalidBatchSize(size, MAX_BATCH_SIZE);
        _checkReason(reasonCode, reasonHash);
        address caller = _msgSender();
        for (uint256 i = 0; i < size; ++i) {
            _revokeByIssuer(recordIds[i], reasonCode, reasonHash, caller);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Subjects and arbiters
    // ----------------------------------------------------------------------------------------

    /// @notice Disputes adverse record `recordId`; only the subject's current controller, once
    /// per record, while the record is live and unexpired. The record stops counting for the
    /// schema's dispute stay (or until the arbiter decides, if sooner).
    /// @param evidenceHash Hash of the subject's evidence (documents stay off chain).
    function dispute(bytes32 recordId, bytes32 evidenceHash) external {
        Record storage record = _requireRecord(recordId);
        address caller = _msgSender();
        uint64 schemaId = record.schemaId;
        Schema storage schema = _schemas[schemaId];
        if (!schema.adverse) revert RecordNotAdverse(recordId);
        if (record.revokedAt != 0) revert RecordAlreadyRevoked(recordId);
        if (record.expiresAt != 0 && block.timestamp >= record.expiresAt) revert RecordExpired(recordId);
        if (record.dispute != DisputeStatus.None) revert RecordAlreadyDisputed(recordId, record.dispute);
        bytes32 subject = record.subject;
        // Due process: a suspended or closed subject keeps the right to dispute (controllerOf, not
        // activeControllerOf); the record only stops counting during the stay.
        if (caller != _identities.controllerOf(subject)) revert RecordNotSubjectController(caller);
        if (evidenceHash == bytes32(0)) revert RecordMissingEvidence();

        record.dispute = DisputeStatus.Open;
        uint64 stay = schema.disputeStay;
        uint64 stayUntil = 0;
        if (stay != 0) {
            stayUntil = uint64(block.timestamp) + stay;
            record.stayUntil = stayUntil;
        }
        Dispute storage entry = _disputes[recordId];
        entry.raisedBy = caller;
        entry.openedAt = uint64(block.timestamp);
        entry.evidenceHash = evidenceHash;
        if (stay != 0) _refreshStanding(subject, schemaId);
        emit RecordDisputed(recordId, subject, evidenceHash, caller, stayUntil);
    }

    /// @notice Suspends disputed record `recordId` until `until` (a longer stay than the running
    /// one, or a stay for a schema without automatic stay). Arbiter only.
    /// @param until Unix time, later than now and than the running stay, at most
    /// MAX_DISPUTE_STAY ahead (renewable).
    /// @param reasonHash Hash of the order granting the stay.
    function grantStay(bytes32 recordId, uint64 until, bytes32 reasonHash) external restricted {
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

    /// @notice Reports that the stay of disputed record `recordId` has lapsed (the record already
    /// counts again without this call) and refreshes the subject's cached standing, so
    /// `meetsPolicy` reads one slot again. Anyone may call it once the stay has ended.
    function lapseStay(bytes32 recordId) external {
        Record storage record = _requireRecord(recordId);
        uint64 stayUntil = record.stayUntil;
        if (stayUntil == 0 || block.timestamp < stayUntil) revert RecordStayNotLapsed(recordId, stayUntil);
        record.stayUntil = 0;
        bytes32 subject = record.subject;
        _refreshStanding(subject, record.schemaId);
        emit DisputeStayLapsed(recordId, subject, _msgSender(), stayUntil);
    }

    /// @notice Decides the open dispute on `recordId`: upheld (the record counts again) or
    /// overturned (the record is revoked with reason 4, overturned). Arbiter only. Works before
    /// or after the stay lapsed.
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
            if (record.stayUntil != 0) {
                record.stayUntil = 0;
                _refreshStanding(subject, record.schemaId);
            }
            emit DisputeResolved(recordId, subject, outcome, rulingHash, caller);
        } else {
            emit DisputeResolved(recordId, subject, outcome, rulingHash, caller);
            _revoke(recordId, record, _OVERTURNED, rulingHash, caller);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function isValid(bytes32 recordId) public view returns (bool) {
        Record storage record = _records[recordId];
        return record.issuedAt != 0 && record.revokedAt == 0 && block.timestamp >= record.stayUntil
            && (record.expiresAt == 0 || block.timestamp < record.expiresAt);
    }

    /// @inheritdoc IRecordRegistry
    /// @dev Reverts with RecordUnknownPolicy for an undefined policy (a configuration error).
    function meetsPolicy(bytes32 subject, uint256 policyId) external view returns (bool) {
        Policy storage policy = _policies[policyId];
        if (!policy.exists) revert RecordUnknownPolicy(policyId);
        if (!_identities.isActive(subject)) return false;
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
    function policyExists(uint256 policyId) external view returns (bool) {
        return _policies[policyId].exists;
    }

    /// @notice True when `subject` holds a valid record of `schemaId` (what policies check).
    function hasValidRecord(bytes32 subject, uint64 schemaId) external view returns (bool) {
        return _hasValidRecord(subject, schemaId);
    }

    /// @notice Latest expiry among `subject`'s live records of `schemaId` that count now (not
    /// revoked, not within a running dispute stay); 0 = none, 2**64-1 = never expires. A valid
    /// record exists iff this is later than now.
    function validUntil(bytes32 subject, uint64 schemaId) external view returns (uint64) {
        Standing storage standing = _standing[subject][schemaId];
        uint64 stayEnd = standing.stayEnd;
        if (stayEnd != 0 && block.timestamp >= stayEnd) {
            (uint64 best,) = _scan(subject, schemaId, standing);
            return best;
        }
        return standing.validUntil;
    }

    /// @notice Ids of `subject`'s live (non-revoked, possibly expired or disputed) records of
    /// `schemaId` (at most MAX_LIVE_RECORDS).
    function liveRecordsOf(bytes32 subject, uint64 schemaId) external view returns (bytes32[] memory ids) {
        Standing storage standing = _standing[subject][schemaId];
        uint256 count = standing.liveCount;
        ids = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            ids[i] = _liveId(subject, schemaId, standing, i);
        }
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
    // Internal: issuance and revocation
    // ----------------------------------------------------------------------------------------

    function _issue(RecordInput calldata input, address issuer, address operator) private returns (bytes32 recordId) {
        uint64 expiresAt = _checkIssuance(input, issuer);
        uint48 number = ++_recordCount;
        recordId = _recordId(input.subject, input.schemaId, number);
        if (input.supersedes != bytes32(0)) _supersede(input, recordId, operator);
        _store(recordId, number, input, issuer, expiresAt, operator);
        emit RecordIssued(
            recordId,
            input.subject,
            input.schemaId,
            issuer,
            input.evidenceHash,
            expiresAt,
            input.supersedes,
            operator,
            input.data
        );
    }

    /// @dev Every check of an issuance except supersession; returns the effective expiry.
    function _checkIssuance(RecordInput calldata input, address issuer) private view returns (uint64 expiresAt) {
        uint64 schemaId = input.schemaId;
        Schema storage schema = _requireSchema(schemaId);
        if (!schema.active) revert RecordSchemaInactive(schemaId);
        if (!_hasImmediateRole(schema.issuerRole, issuer)) revert RecordUnauthorizedIssuer(issuer, schema.issuerRole);
        if (!_identities.isActive(input.subject)) revert RecordSubjectNotActive(input.subject);
        _checkData(schemaId, schema, input.data);
        expiresAt = _checkedExpiry(schema, input.expiresAt);
        if (schema.adverse && input.evidenceHash == bytes32(0)) revert RecordMissingEvidence();
    }

    /// @dev The data is one word per layout field, each in range for its type (rule 2).
    function _checkData(uint64 schemaId, Schema storage schema, bytes calldata data) private view {
        uint256 count = schema.fieldCount;
        if (data.length != count * 32) revert RecordDataMismatch(schemaId, count);
        if (count == 0) return;
        bytes32 codes = schema.fieldTypes;
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
            if (!ok) revert RecordDataMismatch(schemaId, i);
        }
    }

    /// @dev Revokes the record `input.supersedes` in favour of `recordId` (code 3, superseded).
    function _supersede(RecordInput calldata input, bytes32 recordId, address operator) private {
        bytes32 oldId = input.supersedes;
        Record storage old = _requireRecord(oldId);
        if (old.subject != input.subject || old.schemaId != input.schemaId) revert RecordSupersedeMismatch(oldId);
        if (old.revokedAt != 0) revert RecordAlreadyRevoked(oldId);
        if (!_schemas[input.schemaId].revocable) revert RecordNotRevocable(oldId);
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
        Record storage record = _records[recordId];
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
        _removeLive(subject, schemaId, recordId);
        _refreshStanding(subject, schemaId);
        emit RecordRevoked(recordId, subject, reasonCode, reasonHash, operator);
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
        if (i == 0) return standing.live0;
        if (i == 1) return standing.live1;
        return _moreLive[subject][schemaId][i - 2];
    }

    function _setLiveNumber(bytes32 subject, uint64 schemaId, Standing storage standing, uint256 i, uint48 number)
        private
    {
        if (i == 0) standing.live0 = number;
        else if (i == 1) standing.live1 = number;
        else _moreLive[subject][schemaId][i - 2] = number;
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
        Standing storage standing = _standing[subject][schemaId];
        uint256 count = standing.liveCount;
        if (count >= MAX_LIVE_RECORDS) {
            uint256 i = 0;
            while (i < count) {
                bytes32 id = _liveId(subject, schemaId, standing, i);
                uint64 expiresAt = _records[id].expiresAt;
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
        Standing storage standing = _standing[subject][schemaId];
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
        Standing storage standing = _standing[subject][schemaId];
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
        uint256 count = standing.liveCount;
        for (uint256 i = 0; i < count; ++i) {
            Record storage record = _records[_liveId(subject, schemaId, standing, i)];
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
        Standing storage standing = _standing[subject][schemaId];
        if (standing.validUntil > block.timestamp) return true;
        uint64 stayEnd = standing.stayEnd;
        if (stayEnd == 0 || block.timestamp < stayEnd) return false;
        (uint64 best,) = _scan(subject, schemaId, standing);
        return best > block.timestamp;
    }

    // ----------------------------------------------------------------------------------------
    // Internal: layouts, signatures, policies
    // ----------------------------------------------------------------------------------------

    /// @dev Parses "<type> <name>,..." (spaces around tokens allowed) into a field count and one
    /// type code per field (rule 2); reverts RecordInvalidLayout at the first bad byte.
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
            if (code == 0) revert RecordInvalidLayout(start);
            if (i >= length || layout[i] != " ") revert RecordInvalidLayout(i);
            i = _skipSpaces(layout, i);
            start = i;
            if (i >= length || !_isIdentifierStart(layout[i])) revert RecordInvalidLayout(i);
            while (i < length && (_isIdentifierStart(layout[i]) || _isDigit(layout[i]))) ++i;
            bytes32 name = keccak256(layout[start:i]);
            if (count == MAX_FIELDS) revert RecordInvalidLayout(start);
            for (uint256 j = 0; j < count; ++j) {
                if (names[j] == name) revert RecordInvalidLayout(start);
            }
            names[count] = name;
            codes |= bytes32(code << (248 - 8 * uint256(count)));
            ++count;
            i = _skipSpaces(layout, i);
            if (i == length) break;
            if (layout[i] != ",") revert RecordInvalidLayout(i);
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
