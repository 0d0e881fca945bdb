// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ITitleRegistry
/// @notice The city's land register: parcels as ERC-721 titles owned by identities, their sales
/// (owner proposes, buyer accepts the exact encumbrance, registrar approves), splits and merges.
/// The lien registry and the property-tax module read it through the views below; the lien
/// registry voids a buyer's acceptance through `onEncumbranceChanged`.
interface ITitleRegistry {
    // ------------------------------------------------------------------ types

    /// @notice Lifecycle of a parcel.
    enum ParcelStatus {
        None,
        Active,
        Retired
    }

    /// @notice Why a title entry was written.
    enum TitleCause {
        Registration,
        Sale,
        Split,
        Merge
    }

    /// @notice Lifecycle of a sale.
    enum SaleState {
        None,
        Proposed,
        Accepted,
        Completed,
        Cancelled,
        Rejected
    }

    /// @notice Registrar-supplied data of a new parcel.
    /// @param parcelId The parcel's id (non-zero, never used before).
    /// @param dataHash Content hash of the parcel's survey/cadastral document.
    /// @param area Area in square metres.
    /// @param landUse Land-use code (city zoning table; opaque to the contract).
    struct ParcelData {
        uint256 parcelId;
        bytes32 dataHash;
        uint128 area;
        uint32 landUse;
    }

    /// @notice A parcel as stored (the owner is the last entry of its chain of titles). Two
    /// storage slots: `dataHash`, then the other fields packed in one word.
    struct Parcel {
        bytes32 dataHash;
        uint128 area;
        uint32 landUse;
        uint48 registeredAt;
        ParcelStatus status;
        uint32 titleCount;
    }

    /// @notice One link of a parcel's chain of titles.
    struct TitleEntry {
        bytes32 owner;
        uint64 since;
        uint64 saleId;
        TitleCause cause;
    }

    /// @notice A sale of a parcel between two identities.
    struct Sale {
        uint256 parcelId;
        bytes32 seller;
        bytes32 buyer;
        uint256 price;
        bytes32 deedHash;
        uint64 proposedAt;
        SaleState state;
        bytes32 encumbranceHash; // what the buyer accepted (zero until accepted, and when voided)
    }

    // ------------------------------------------------------------------ events
    // One argument order: the object's id(s) (indexed), the acting account (`operator`,
    // indexed), then the data.

    /// @notice A parcel was created (registration, split child or merge result), owned by
    /// identity `owner`.
    event ParcelRegistered(
        uint256 indexed parcelId,
        address indexed operator,
        bytes32 indexed owner,
        bytes32 dataHash,
        uint128 area,
        uint32 landUse
    );

    /// @notice The owner of `parcelId` proposed to sell it to `buyer`.
    event SaleProposed(
        uint256 indexed saleId,
        uint256 indexed parcelId,
        address indexed operator,
        bytes32 seller,
        bytes32 buyer,
        uint256 price,
        bytes32 deedHash
    );

    /// @notice The buyer accepted sale `saleId` with the encumbrance (liens and their answers)
    /// committed to by `encumbranceHash` (LienRegistry.saleEncumbranceHash).
    event SaleAccepted(
        uint256 indexed saleId, uint256 indexed parcelId, address indexed operator, bytes32 encumbranceHash
    );

    /// @notice The liens of `parcelId` changed while the buyer's acceptance of `saleId` stood: the
    /// sale is Proposed again. `operator` is the account whose action changed the liens (the
    /// registrar for a court order, the holder for its release); `acceptedHash` what the buyer
    /// had accepted.
    event SaleAcceptanceVoided(
        uint256 indexed saleId, uint256 indexed parcelId, address indexed operator, bytes32 acceptedHash
    );

    /// @notice A party cancelled sale `saleId` before approval.
    event SaleCancelled(uint256 indexed saleId, uint256 indexed parcelId, address indexed operator);

    /// @notice The registrar refused sale `saleId`; `reasonHash` points at the written decision.
    event SaleRejected(
        uint256 indexed saleId, uint256 indexed parcelId, address indexed operator, bytes32 reasonHash
    );

    /// @notice The registrar approved sale `saleId` and the title moved from `seller` to `buyer`.
    event SaleApproved(
        uint256 indexed saleId, uint256 indexed parcelId, address indexed operator, bytes32 seller, bytes32 buyer
    );

    /// @notice `parentId` was retired and split into `childIds`.
    event ParcelSplit(uint256 indexed parentId, address indexed operator, uint256[] childIds);

    /// @notice `parentIds` were retired and merged into `parcelId`.
    event ParcelsMerged(uint256 indexed parcelId, address indexed operator, uint256[] parentIds);

    /// @notice The title token moved to the owner identity's current controller wallet.
    event HolderSynced(uint256 indexed parcelId, address indexed operator, address from, address to);

    /// @notice The admin set the lien registry and the property-tax module (once, for good).
    event ModulesSet(address indexed operator, address lienRegistry, address taxModule);

    /// @notice The admin set the base of every title's token URI (base + parcel id in 0x-hex).
    event BaseURISet(address indexed operator, string baseURI);

    // ------------------------------------------------------------------ errors

    /// @notice Titles cannot be transferred or approved directly: they move only through a registrar-approved sale.
    error TitleTransferDisabled();
    /// @notice This parcel id is zero or already registered (parcel ids are never reused).
    error TitleParcelExists(uint256 parcelId);
    /// @notice The parcel is not registered, or was retired by a split or merge.
    error TitleParcelNotActive(uint256 parcelId);
    /// @notice A parcel needs a non-zero data hash and a non-zero area.
    error TitleInvalidParcelData(uint256 parcelId);
    /// @notice Only the wallet controlling the owner identity may do this.
    error TitleNotOwnerController(uint256 parcelId, address caller);
    /// @notice Only the buyer (to accept) or a party of the sale (to cancel), as an active identity's controller, may do this.
    error TitleNotSaleParty(uint256 saleId, address caller);
    /// @notice The sale is not in the state this step needs (state 1 proposed, 2 accepted, 3 completed, 4 cancelled, 5 rejected).
    error TitleSaleWrongState(uint256 saleId, SaleState state);
    /// @notice The parcel already has an open sale: cancel it first.
    error TitleSaleAlreadyOpen(uint256 parcelId, uint256 saleId);
    /// @notice The buyer must differ from the seller and the deed hash must be set.
    error TitleInvalidSale();
    /// @notice An unreleased lien blocks this: a sale needs every lienholder's consent, a split or merge needs the liens released.
    error TitleBlockedByLien(uint256 parcelId);
    /// @notice Property tax blocks this: a sale needs no overdue assessment, a split or merge no unpaid one.
    error TitleBlockedByTax(uint256 parcelId);
    /// @notice The parcel has an open sale, which blocks splits and merges.
    error TitleBlockedBySale(uint256 parcelId);
    /// @notice The lien registry or the tax module is not set yet (admin setup incomplete).
    error TitleModulesNotSet();
    /// @notice The lien registry and the tax module are set once and never replaced.
    error TitleModulesAlreadySet();
    /// @notice A module is not a contract wired to this title registry (zero address, no code, the wrong kind of module, or another registry's).
    error TitleInvalidModules(address lienRegistry, address taxModule);
    /// @notice Only the lien registry may call this.
    error TitleOnlyLienRegistry(address caller);
    /// @notice The liens or their answers are not what the buyer saw: review the current encumbrance and accept it again.
    error TitleEncumbranceChanged(bytes32 expected, bytes32 actual);
    /// @notice Every unreleased lien must answer the sale (keep, or discharge at closing) before the buyer can accept it.
    error TitleLiensUnanswered(uint256 saleId);
    /// @notice The base URI is longer than MAX_BASE_URI_LENGTH bytes.
    error TitleBaseURITooLong(uint256 length, uint256 max);
    /// @notice The areas of the new parcels do not add up to the old ones.
    error TitleAreaMismatch(uint256 expected, uint256 actual);
    /// @notice Only parcels of one owner can be merged.
    error TitleOwnersDiffer(uint256 parcelId);
    /// @notice The batch has a different number of owners and parcels.
    error TitleLengthMismatch();

    // ------------------------------------------------------------------ admin wiring

    /// @notice Sets, once and for good, the lien registry and the property-tax module consulted
    /// at acceptance, approval, split and merge. Both must be contracts wired to this registry.
    /// Admin only.
    function setModules(address lienRegistry_, address taxModule_) external;

    /// @notice Sets the base of every title's token URI (`tokenURI` = base + parcel id as 0x +
    /// 64 hex digits; empty base = empty URIs). At most MAX_BASE_URI_LENGTH bytes. Admin only.
    function setBaseURI(string calldata baseURI_) external;

    // ------------------------------------------------------------------ registration

    /// @notice Registers one parcel owned by identity `owner`. Registrar only.
    /// @param owner The owning identity; must be active with a controller wallet (receives the token).
    function register(bytes32 owner, ParcelData calldata parcel) external;

    /// @notice Registers up to `MAX_BATCH` parcels at once; all or nothing. Registrar only.
    /// @param owners Owning identity of each parcel (same length as `parcels`).
    function registerBatch(bytes32[] calldata owners, ParcelData[] calldata parcels) external;

    // ------------------------------------------------------------------ sale workflow

    /// @notice The owner (its controller wallet) offers `parcelId` to identity `buyer`.
    /// @param price Agreed price in settlement-token units (recorded; settled off this contract).
    /// @param deedHash Content hash of the signed deed.
    /// @return saleId The new sale's id.
    function proposeSale(uint256 parcelId, bytes32 buyer, uint256 price, bytes32 deedHash)
        external
        returns (uint256 saleId);

    /// @notice The buyer (its controller wallet) accepts sale `saleId` with the encumbrance it
    /// saw: the parcel's unreleased liens and each holder's answer to this sale.
    /// @param encumbranceHash `LienRegistry.saleEncumbranceHash(saleId)` as the buyer read it;
    /// it must equal the current one, and every unreleased lien must have answered.
    function acceptSale(uint256 saleId, bytes32 encumbranceHash) external;

    /// @notice Seller or buyer withdraws from sale `saleId` before the registrar approves it.
    function cancelSale(uint256 saleId) external;

    /// @notice The registrar refuses sale `saleId` (e.g. deed defective). Registrar only.
    /// @param reasonHash Content hash of the written decision.
    function rejectSale(uint256 saleId, bytes32 reasonHash) external;

    /// @notice The registrar approves accepted sale `saleId`: the title moves to the buyer.
    /// Requires both identities active, the encumbrance the buyer accepted (every unreleased
    /// lien answered) and no property tax past due. Liens answered "discharge at closing" are
    /// released; the others stay, as the buyer accepted.
    function approveSale(uint256 saleId) external;

    // ------------------------------------------------------------------ split / merge

    /// @notice Retires `parentId` and creates `children` (2..MAX_PIECES) owned by the same
    /// identity; their areas must add up to the parent's. Requires no open sale, no unreleased
    /// lien and no unpaid tax on the parent (assessments stay with the retired parent). Registrar only.
    function split(uint256 parentId, ParcelData[] calldata children) external;

    /// @notice Retires `parentIds` (2..MAX_PIECES, same owner) and creates `merged`, whose area
    /// must equal their sum. Adjacency is attested by the registrar's survey (`merged.dataHash`);
    /// the contract cannot check geometry. Same encumbrance rules as `split`. Registrar only.
    function merge(uint256[] calldata parentIds, ParcelData calldata merged) external;

    // ------------------------------------------------------------------ hooks and upkeep

    /// @notice Called by the lien registry after the set of unreleased liens on `parcelId`
    /// changed (court-ordered lien or release, holder's release): an accepted sale of the parcel
    /// goes back to Proposed (`SaleAcceptanceVoided`, naming `operator`, the account whose
    /// action changed the liens). No-op without an accepted sale. Only the lien registry may call it.
    function onEncumbranceChanged(uint256 parcelId, address operator) external;

    /// @notice Moves the title token to the owner identity's current controller (after the
    /// identity office rotated or recovered the controller). Anyone may call; no-op when in sync.
    function syncHolder(uint256 parcelId) external;

    // ------------------------------------------------------------------ views

    /// @notice True when `parcelId` is registered and not retired by a split or merge.
    function isActiveParcel(uint256 parcelId) external view returns (bool);

    /// @notice The identity (salted commitment) currently owning `parcelId`; zero if unregistered.
    function ownerIdentityOf(uint256 parcelId) external view returns (bytes32);

    /// @notice The parcel a sale is for (zero if `saleId` is unknown).
    function saleParcelOf(uint256 saleId) external view returns (uint256);

    /// @notice True while sale `saleId` is proposed or accepted (not yet approved, cancelled or rejected).
    function isSaleOpen(uint256 saleId) external view returns (bool);

    /// @notice Sale `saleId` in one call: its parcel (zero if unknown), whether it is open
    /// (proposed or accepted) and whether the buyer has accepted it (and it is still open).
    function saleStatusOf(uint256 saleId) external view returns (uint256 parcelId, bool open, bool accepted);

    /// @notice The open sale of `parcelId` if the buyer has accepted it, zero otherwise.
    function acceptedSaleOf(uint256 parcelId) external view returns (uint256 saleId);

    /// @notice The stored parcel (status None when unregistered).
    function parcelOf(uint256 parcelId) external view returns (Parcel memory);

    /// @notice The base of every title's token URI (empty until the admin sets one).
    function baseURI() external view returns (string memory);

    /// @notice The parcel's chain of titles, oldest first (registration, then each sale).
    /// @dev Unbounded by design (one entry per sale); for off-chain reads.
    function chainOfTitle(uint256 parcelId) external view returns (TitleEntry[] memory entries);

    /// @notice Parcels `parcelId` was split or merged from (empty for registered parcels).
    function parentsOf(uint256 parcelId) external view returns (uint256[] memory);

    /// @notice Parcels created from `parcelId` by a split or merge (empty while active).
    function childrenOf(uint256 parcelId) external view returns (uint256[] memory);

    /// @notice Sale `saleId` (state None when unknown).
    function saleOf(uint256 saleId) external view returns (Sale memory);

    /// @notice The open (proposed or accepted) sale of `parcelId`, zero if none.
    function openSaleOf(uint256 parcelId) external view returns (uint256);

    /// @notice Number of sales ever proposed (sale ids are 1..saleCount).
    function saleCount() external view returns (uint256);

    /// @notice What would stop `approveSale(saleId)` now: each flag true means that condition holds.
    /// @return accepted The buyer accepted and the sale is still open.
    /// @return identitiesActive Seller and buyer identities are active.
    /// @return liensCleared Every unreleased lien answered this sale (needed before acceptance too).
    /// @return taxClear No assessment of the parcel is past due.
    /// @return encumbranceAsAccepted The sale is accepted and the liens and their answers are
    /// still exactly the state the buyer accepted.
    function saleReadiness(uint256 saleId)
        external
        view
        returns (bool accepted, bool identitiesActive, bool liensCleared, bool taxClear, bool encumbranceAsAccepted);

    /// @notice Data hash of each of `parcelIds` (zero for unregistered ids): lets bulk imports
    /// check hundreds of parcels per call.
    function dataHashesOf(uint256[] calldata parcelIds) external view returns (bytes32[] memory hashes);

    /// @notice The identity registry owners are looked up in.
    function identityRegistry() external view returns (address);

    /// @notice The lien registry (zero until the admin sets it).
    function lienRegistry() external view returns (address);

    /// @notice The property-tax module (zero until the admin sets it).
    function taxModule() external view returns (address);
}
