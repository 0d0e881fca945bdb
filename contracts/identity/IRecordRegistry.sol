// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IIdentityRegistry} from "./IIdentityRegistry.sol";

/// @title IRecordRegistry
/// @notice The city's credit-record registry: its vocabulary (schemas, records, disputes,
/// policies, events, errors) and every function. Other city contracts read `isValid`,
/// `meetsPolicy` and `policyExists`. Events name the object(s) first, then the acting account
/// (`operator`), then the data.
interface IRecordRegistry {
    // ------------------------------------------------------------------------------ types

    /// @notice Where a record's dispute stands.
    enum DisputeStatus {
        None,
        Open,
        Upheld,
        Overturned,
        Withdrawn
    }

    /// @notice What `verifyCertificate` found: Unknown (no such record, its schema is not a
    /// certificate, or the document presented is not the one the record certifies), Valid,
    /// Revoked, Expired, or Disputed (the subject's dispute is open: the arbiter decides).
    enum CertificateStatus {
        Unknown,
        Valid,
        Revoked,
        Expired,
        Disputed
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

    /// @notice What the records administrator registers a schema with (`registerSchema`).
    struct SchemaTerms {
        /// Unique human-readable name (e.g. "tax-compliance").
        string name;
        /// Layout of the record data, e.g. "uint16 year,bool compliant": static types only
        /// (uint8..uint256, int8..int256, bool, bytes1..bytes32), at most 16 fields.
        string fieldLayout;
        /// AccessManager role whose members issue and revoke these records.
        uint64 issuerRole;
        /// Whether issuers may revoke (arbiters can always overturn).
        bool revocable;
        /// Whether the record counts against its subject (disputable, disqualifying).
        bool adverse;
        /// Seconds a record lasts when issued without expiry (0 = forever; required > 0 for
        /// adverse schemas, where it is also the longest validity allowed; at most
        /// MAX_DEFAULT_VALIDITY).
        uint64 defaultValidity;
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

    /// @notice Per (subject, schema), in storage only (read through `validUntil` and
    /// `liveRecordsOf`): the standing summary and the first two live record numbers, in one
    /// slot (a subject's first record of a schema writes no other live-set slot).
    struct Standing {
        uint64 validUntil;
        uint64 stayEnd;
        uint8 liveCount;
        uint48 live0;
        uint48 live1;
    }

    // ------------------------------------------------------------------------------ events

    /// @notice `operator` (the records administrator) registered schema `schemaId`.
    event SchemaRegistered(
        uint64 indexed schemaId,
        address indexed operator,
        string name,
        string fieldLayout,
        uint64 issuerRole,
        bool revocable,
        bool adverse,
        uint64 defaultValidity
    );

    /// @notice `operator` (the records administrator) opened or closed schema `schemaId` to new
    /// records.
    event SchemaActiveSet(uint64 indexed schemaId, address indexed operator, bool active);

    /// @notice The dispute stay of schema `schemaId` is now `stay` seconds (for disputes opened
    /// from now on; a new schema starts with DEFAULT_DISPUTE_STAY).
    event DisputeStaySet(uint64 indexed schemaId, address indexed operator, uint64 stay);

    /// @notice `operator` (the records administrator) marked schema `schemaId` a certificate
    /// schema (or unmarked it): its records verify with `verifyCertificate`.
    event CertificateSchemaSet(uint64 indexed schemaId, address indexed operator, bool certificate);

    /// @notice `operator` (the records administrator) defined or replaced policy `policyId`.
    event PolicySet(
        uint256 indexed policyId, address indexed operator, string name, uint64[] required, uint64[] disqualifying
    );

    /// @notice `issuer` issued record `recordId` about `subject`; `operator` sent the transaction
    /// (the relayer, for signed issuance). `data` (one word per field of the schema's layout,
    /// checked on chain) is not stored: this event is where readers find it.
    event RecordIssued(
        bytes32 indexed recordId,
        bytes32 indexed subject,
        address indexed operator,
        uint64 schemaId,
        address issuer,
        bytes32 evidenceHash,
        uint64 expiresAt,
        bytes32 supersedes,
        bytes data
    );

    /// @notice Record `recordId` was revoked by `operator` with reason `reasonCode` (1 issued in
    /// error, 2 remedied, 3 superseded: `reasonHash` is the new record's id, 4 overturned:
    /// `reasonHash` is the ruling, 5 other) and `reasonHash`, the hash of the reason document.
    event RecordRevoked(
        bytes32 indexed recordId, bytes32 indexed subject, address indexed operator, uint16 reasonCode, bytes32 reasonHash
    );

    /// @notice The subject's controller `operator` disputed record `recordId`; it does not count
    /// until `stayUntil` (0: the schema has no automatic stay).
    event RecordDisputed(
        bytes32 indexed recordId, bytes32 indexed subject, address indexed operator, bytes32 evidenceHash, uint64 stayUntil
    );

    /// @notice The dispute on `recordId` closed with `outcome` (Upheld / Overturned by the
    /// arbiter, Withdrawn when the issuer revoked the record first).
    event DisputeResolved(
        bytes32 indexed recordId,
        bytes32 indexed subject,
        address indexed operator,
        DisputeStatus outcome,
        bytes32 rulingHash
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

    /// @notice The signer `operator` cancelled its signatures with nonces below `newNonce`.
    event NoncesInvalidated(address indexed operator, uint256 newNonce);

    // ------------------------------------------------------------------------------ errors

    /// @notice Adverse records, disputes, stays and revocations with code 5 (other) need a
    /// non-zero document hash.
    error RecordMissingEvidence();
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

    // ------------------------------------------------------------------------------ records administrator

    /// @notice Registers a schema; returns its id (sequential from 1). Records admin only. Its
    /// dispute stay starts at DEFAULT_DISPUTE_STAY (see `setDisputeStay`).
    /// @param terms The schema's name, field layout, issuer role, flags and default validity
    /// (see {SchemaTerms}).
    function registerSchema(SchemaTerms calldata terms) external returns (uint64 schemaId);

    /// @notice Opens or closes schema `schemaId` to new records; existing records are unaffected.
    /// Records admin only.
    function setSchemaActive(uint64 schemaId, bool active) external;

    /// @notice Sets how long an open dispute suspends a record of schema `schemaId`, for disputes
    /// opened from now on (0 = disputes never suspend unless the arbiter grants a stay). Records
    /// admin only.
    /// @param stay Seconds, at most MAX_DISPUTE_STAY.
    function setDisputeStay(uint64 schemaId, uint64 stay) external;

    /// @notice Marks schema `schemaId` a certificate schema (licences, registrations,
    /// qualifications) or unmarks it: only records of a marked schema verify with
    /// `verifyCertificate`. Records admin only.
    function setCertificate(uint64 schemaId, bool certificate) external;

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
    ) external;

    // ------------------------------------------------------------------------------ issuers

    /// @notice Issues a record about `input.subject` under `input.schemaId`. The caller must hold
    /// the schema's issuer role; the subject must be an Active identity; the data must match
    /// the schema's layout. Returns the record id.
    function issue(RecordInput calldata input) external returns (bytes32 recordId);

    /// @notice Issues up to MAX_BATCH_SIZE records in one transaction (all or nothing).
    function issueBatch(RecordInput[] calldata inputs) external returns (bytes32[] memory recordIds);

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
    ) external returns (bytes32 recordId);

    /// @notice Cancels the caller's outstanding signed issuances: moves its nonce to `newNonce`,
    /// so every signature with a lower nonce can no longer be relayed.
    /// @param newNonce Above the current nonce and at most MAX_NONCE_STEP ahead of it.
    function invalidateNonces(uint256 newNonce) external;

    /// @notice Revokes record `recordId`. The caller must hold the schema's issuer role and the
    /// schema must be revocable. Revoking a disputed record closes the dispute as Withdrawn (the
    /// issuer concedes).
    /// @param reasonCode 1 issued in error, 2 remedied (e.g. paid), 5 other (see the document).
    /// @param reasonHash Hash of the document stating the reason (required for code 5).
    function revoke(bytes32 recordId, uint16 reasonCode, bytes32 reasonHash) external;

    /// @notice Revokes up to MAX_BATCH_SIZE records with one reason (all or nothing).
    function revokeBatch(bytes32[] calldata recordIds, uint16 reasonCode, bytes32 reasonHash) external;

    // ------------------------------------------------------------------------------ subjects and arbiters

    /// @notice Disputes adverse record `recordId`; only the subject's current controller, once
    /// per record, while the record is live and unexpired. The record stops counting for the
    /// schema's dispute stay (or until the arbiter decides, if sooner). Continues while the
    /// registry is paused.
    /// @param evidenceHash Hash of the subject's evidence (documents stay off chain).
    function dispute(bytes32 recordId, bytes32 evidenceHash) external;

    /// @notice Suspends disputed record `recordId` until `until` (a longer stay than the running
    /// one, or a stay for a schema without automatic stay). Arbiter only.
    /// @param until Unix time, later than now and than the running stay, at most
    /// MAX_DISPUTE_STAY ahead (renewable).
    /// @param reasonHash Hash of the order granting the stay.
    function grantStay(bytes32 recordId, uint64 until, bytes32 reasonHash) external;

    /// @notice Reports that the stay of disputed record `recordId` has lapsed (the record already
    /// counts again without this call) and refreshes the subject's cached standing, so
    /// `meetsPolicy` reads one slot again. Anyone may call it once the stay has ended; continues
    /// while the registry is paused.
    function lapseStay(bytes32 recordId) external;

    /// @notice Decides the open dispute on `recordId`: upheld (the record counts again) or
    /// overturned (the record is revoked with reason 4, overturned). Arbiter only. Works before
    /// or after the stay lapsed.
    /// @param rulingHash Hash of the written decision.
    function resolveDispute(bytes32 recordId, bool upheld, bytes32 rulingHash) external;

    // ------------------------------------------------------------------------------ views

    /// @notice True when `recordId` exists, is not revoked, not expired and not within a running
    /// dispute stay (an open dispute suspends a record only until its stay lapses).
    function isValid(bytes32 recordId) external view returns (bool);

    /// @notice True when `subject` holds a valid record of every required schema of policy
    /// `policyId` and no valid adverse record of any of its disqualifying schemas.
    /// @dev False for subjects that are not Active identities. Reverts (RecordUnknownPolicy) for a
    /// policy id that was never defined: check `policyExists` when configuring a consumer.
    /// Gas bounded: at most 8 required + 8 disqualifying schemas, one storage read each; a
    /// disqualifying schema whose cached standing holds a dispute stay that has lapsed since the
    /// last write adds an exact scan of at most 8 live records (see RecordRegistry).
    function meetsPolicy(bytes32 subject, uint256 policyId) external view returns (bool);

    /// @notice Verifies a presented certificate in one call: record `recordId` and the hash of
    /// the document presented (the record's `evidenceHash`, the hash of the printed certificate
    /// the issuer recorded). Revoked before Expired before Disputed before Valid.
    /// @return status Unknown (no record, its schema is not a certificate, no evidence hash, or
    /// `documentHash` differs: then every other value is zero, nothing is revealed), Valid,
    /// Revoked, Expired or Disputed (an open dispute, stayed or not).
    /// @return reasonCode When Revoked: the revocation reason (1 issued in error, 2 remedied,
    /// 3 superseded, 4 overturned, 5 other; 0 = revoked while its schema was not a certificate,
    /// see the RecordRevoked event).
    /// @return issuer The issuing account.
    /// @return schemaId The record's schema.
    /// @return expiresAt Unix time the record expires (0 = never).
    function verifyCertificate(bytes32 recordId, bytes32 documentHash)
        external
        view
        returns (CertificateStatus status, uint16 reasonCode, address issuer, uint64 schemaId, uint64 expiresAt);

    /// @notice True when standing policy `policyId` has been defined.
    function policyExists(uint256 policyId) external view returns (bool);

    /// @notice True when `subject` holds a valid record of `schemaId` (what policies check).
    function hasValidRecord(bytes32 subject, uint64 schemaId) external view returns (bool);

    /// @notice Latest expiry among `subject`'s live records of `schemaId` that count now (not
    /// revoked, not within a running dispute stay); 0 = none, 2**64-1 = never expires. A valid
    /// record exists iff this is later than now.
    function validUntil(bytes32 subject, uint64 schemaId) external view returns (uint64);

    /// @notice Ids of `subject`'s live (non-revoked, possibly expired or disputed) records of
    /// `schemaId` (at most MAX_LIVE_RECORDS).
    function liveRecordsOf(bytes32 subject, uint64 schemaId) external view returns (bytes32[] memory ids);

    /// @notice The stored record `recordId` (issuedAt == 0 when unknown).
    function getRecord(bytes32 recordId) external view returns (Record memory);

    /// @notice The dispute of `recordId` (status is in `getRecord(recordId).dispute`).
    function getDispute(bytes32 recordId) external view returns (Dispute memory);

    /// @notice Schema `schemaId` (issuerRole == 0 when unknown).
    function getSchema(uint64 schemaId) external view returns (Schema memory);

    /// @notice Id of the schema called `name` (0 when none).
    function schemaIdByName(string calldata name) external view returns (uint64);

    /// @notice Number of schemas registered (ids are 1..schemaCount).
    function schemaCount() external view returns (uint64);

    /// @notice Policy `policyId` (exists == false when undefined).
    function getPolicy(uint256 policyId) external view returns (Policy memory);

    /// @notice Number of records ever issued.
    function recordCount() external view returns (uint256);

    /// @notice The identity registry records refer to.
    function identityRegistry() external view returns (IIdentityRegistry);

    /// @notice The EIP-712 digest `signer` must sign to have `input` issued with `nonce` and
    /// `deadline` (for off-line signing tools).
    function issueDigest(RecordInput calldata input, uint256 nonce, uint256 deadline) external view returns (bytes32);

    /// @notice The EIP-712 domain separator of this registry.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32);
}
