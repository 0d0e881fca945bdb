// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ITitleRegistry} from "./ITitleRegistry.sol";
import {ILienRegistry} from "./ILienRegistry.sol";
import {IPropertyTax} from "./IPropertyTax.sol";

/// @title TitleRegistry
/// @notice The city's land register. Each parcel is an ERC-721 token carrying a content hash of
/// the parcel's survey data (which also addresses the parcel document), its area and land-use
/// code. Parcels are owned by identities of the IdentityRegistry (salted commitments, never
/// personal data); the token sits in the owner identity's controller wallet.
///
/// Titles never move by plain ERC-721 transfers or approvals (they revert). A sale needs the
/// owner's proposal, the buyer's acceptance of the exact encumbrance it saw and the registrar's
/// approval; at approval the encumbrance must still be the accepted one and no property-tax
/// assessment may be past due. The registrar splits and merges parcels; retired parcels keep
/// their data and chain of titles, and new parcels record their parents.
///
/// @dev Rules, in one place:
/// - Parcel ids are chosen by the registrar (the off-chain tooling uses
///   `uint256(keccak256(bytes(cadastralCode)))`), which makes bulk imports idempotent: a parcel
///   id is registered at most once, ever.
/// - No free text: events and storage carry hashes and typed, bounded fields only. The parcel
///   document is addressed by `dataHash`; `tokenURI` is the admin's base URI followed by the
///   parcel id as 0x + 64 hex digits (empty while no base URI is set). The one string is that
///   base URI (at most 256 bytes): the city's configuration, not data about a parcel or person.
/// - Modules: the lien registry and the property-tax module are set ONCE by the admin
///   (`setModules`, both at once, each wired to this registry); they are never replaced, so no
///   admin action can drop the liens or tax arrears they hold (contracts become upgradeable
///   proxies later: a module is upgraded in place). Until set, sales, splits and merges revert.
/// - Sales: the owner proposes; every unreleased lien answers the sale (keep / discharge at
///   closing, LienRegistry); the buyer accepts with the encumbrance hash it saw
///   (`LienRegistry.saleEncumbranceHash`): it must equal the current one and every lien must
///   have answered, and the accepted hash is stored with the sale.
/// - Accepted state binds: while a sale is Accepted the lien registry refuses lienholders'
///   answer changes for it and the owner's new voluntary liens; a court-ordered lien or release,
///   or a holder's own release, is allowed and voids the acceptance (the sale returns to
///   Proposed, `SaleAcceptanceVoided` names the actor); the buyer may accept the new state.
/// - Approval (registrar): the sale is Accepted, both identities active, the current encumbrance
///   hash equals the accepted one and every lien has answered (defence in depth), and no tax is
///   past due. The sale is marked Completed BEFORE the lien registry discharges the liens
///   answered DischargeAtClosing, so those releases void nothing: the buyer receives exactly the
///   liens it accepted as KeepLien.
/// - Either party cancels, and the registrar rejects, an open (proposed or accepted) sale.
/// - A parcel's chain of title holds at most 2**32 - 1 entries (`titleCount` is uint32; one
///   entry per registration or sale: out of reach); `registeredAt` is a uint48 timestamp, so a
///   stored parcel still fills two storage slots.
/// - Pause (guardian) stops registrations, sales, splits, merges and holder syncs; cancelling
///   and the lien registry's voiding hook keep working.
contract TitleRegistry is ERC721, AccessManaged, Pausable, ITitleRegistry {
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

    /// @notice Most parcels one `registerBatch` call registers.
    uint256 public constant MAX_BATCH = 100;
    /// @notice Most children of one split and most parents of one merge.
    uint256 public constant MAX_PIECES = 16;
    /// @notice Longest base URI the admin may set (bytes).
    uint256 public constant MAX_BASE_URI_LENGTH = 256;

    IIdentityRegistry private immutable _identities;
    ILienRegistry private _lienRegistry;
    IPropertyTax private _taxModule;
    string private _baseTokenURI;

    mapping(uint256 parcelId => Parcel) private _parcels;
    mapping(uint256 parcelId => mapping(uint256 index => TitleEntry)) private _titles;
    mapping(uint256 parcelId => uint256[]) private _parents;
    mapping(uint256 parcelId => uint256[]) private _children;
    mapping(uint256 saleId => Sale) private _sales;
    mapping(uint256 parcelId => uint256 saleId) private _openSale;
    uint64 private _saleCount;

    /// @notice A parcel was created (registration, split child or merge result).
    event ParcelRegistered(
        uint256 indexed parcelId,
        bytes32 indexed owner,
        address indexed operator,
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

    /// @notice Titles cannot be transferred or approved directly: they move only through a registrar-approved sale.
    error TitleTransferDisabled();
    /// @notice This parcel id is zero or already registered (parcel ids are never reused).
    error TitleParcelExists(uint256 parcelId);
    /// @notice The parcel is not registered, or was retired by a split or merge.
    error TitleParcelNotActive(uint256 parcelId);
    /// @notice A parcel needs a non-zero data hash and a non-zero area.
    error TitleInvalidParcelData(uint256 parcelId);
    /// @notice The identity is not registered or not active (suspended or closed).
    error TitleIdentityNotActive(bytes32 subject);
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
    /// @notice The batch, split or merge has too few or too many parcels.
    error TitleBadBatchSize(uint256 size, uint256 min, uint256 max);
    /// @notice The areas of the new parcels do not add up to the old ones.
    error TitleAreaMismatch(uint256 expected, uint256 actual);
    /// @notice Only parcels of one owner can be merged.
    error TitleOwnersDiffer(uint256 parcelId);
    /// @notice The batch has a different number of owners and parcels.
    error TitleLengthMismatch();

    /// @param initialAuthority The city's AccessManager.
    /// @param identityRegistry_ The IdentityRegistry owners are looked up in.
    constructor(address initialAuthority, address identityRegistry_)
        ERC721("City Land Title", "TITLE")
        AccessManaged(initialAuthority)
    {
        _identities = IIdentityRegistry(identityRegistry_);
    }

    // ------------------------------------------------------------------ admin wiring

    /// @notice Sets, once and for good, the lien registry and the property-tax module consulted
    /// at acceptance, approval, split and merge. Both must be contracts wired to this registry.
    /// Admin only.
    function setModules(address lienRegistry_, address taxModule_) external restricted {
        if (address(_lienRegistry) != address(0) || address(_taxModule) != address(0)) {
            revert TitleModulesAlreadySet();
        }
        if (!_isModuleOfThis(lienRegistry_, true) || !_isModuleOfThis(taxModule_, false)) {
            revert TitleInvalidModules(lienRegistry_, taxModule_);
        }
        _lienRegistry = ILienRegistry(lienRegistry_);
        _taxModule = IPropertyTax(taxModule_);
        emit ModulesSet(_msgSender(), lienRegistry_, taxModule_);
    }

    /// @notice Sets the base of every title's token URI (`tokenURI` = base + parcel id as 0x +
    /// 64 hex digits; empty base = empty URIs). At most MAX_BASE_URI_LENGTH bytes. Admin only.
    function setBaseURI(string calldata baseURI_) external restricted {
        uint256 length = bytes(baseURI_).length;
        if (length > MAX_BASE_URI_LENGTH) revert TitleBaseURITooLong(length, MAX_BASE_URI_LENGTH);
        _baseTokenURI = baseURI_;
        emit BaseURISet(_msgSender(), baseURI_);
    }

    /// @notice Stops registrations, sales, splits, merges and holder syncs. Guardian.
    function pause() external restricted {
        _pause();
    }

    /// @notice Resumes after `pause`. Admin.
    function unpause() external restricted {
        _unpause();
    }

    // ------------------------------------------------------------------ registration

    /// @notice Registers one parcel owned by identity `owner`. Registrar only.
    /// @param owner The owning identity; must be active with a controller wallet (receives the token).
    function register(bytes32 owner, ParcelData calldata parcel) external restricted whenNotPaused {
        address holder = _activeController(owner);
        _create(parcel, owner, holder, TitleCause.Registration);
    }

    /// @notice Registers up to `MAX_BATCH` parcels at once; all or nothing. Registrar only.
    /// @param owners Owning identity of each parcel (same length as `parcels`).
    function registerBatch(bytes32[] calldata owners, ParcelData[] calldata parcels)
        external
        restricted
        whenNotPaused
    {
        uint256 n = parcels.length;
        if (n == 0 || n > MAX_BATCH) revert TitleBadBatchSize(n, 1, MAX_BATCH);
        if (owners.length != n) revert TitleLengthMismatch();
        bytes32 lastOwner = bytes32(0);
        address holder = address(0);
        for (uint256 i = 0; i < n; ++i) {
            // Imports list parcels by owner: skip the identity lookup when it repeats.
            if (i == 0 || owners[i] != lastOwner) {
                lastOwner = owners[i];
                holder = _activeController(lastOwner);
            }
            _create(parcels[i], lastOwner, holder, TitleCause.Registration);
        }
    }

    // ------------------------------------------------------------------ sale workflow

    /// @notice The owner (its controller wallet) offers `parcelId` to identity `buyer`.
    /// @param price Agreed price in settlement-token units (recorded; settled off this contract).
    /// @param deedHash Content hash of the signed deed.
    /// @return saleId The new sale's id.
    function proposeSale(uint256 parcelId, bytes32 buyer, uint256 price, bytes32 deedHash)
        external
        whenNotPaused
        returns (uint256 saleId)
    {
        bytes32 seller = _requireOwnerController(parcelId);
        if (buyer == seller || deedHash == bytes32(0)) revert TitleInvalidSale();
        _activeController(buyer);
        uint256 open = _openSale[parcelId];
        if (open != 0) revert TitleSaleAlreadyOpen(parcelId, open);

        saleId = ++_saleCount;
        Sale storage sale = _sales[saleId]; // encumbranceHash stays zero until accepted
        sale.parcelId = parcelId;
        sale.seller = seller;
        sale.buyer = buyer;
        sale.price = price;
        sale.deedHash = deedHash;
        sale.proposedAt = uint64(block.timestamp);
        sale.state = SaleState.Proposed;
        _openSale[parcelId] = saleId;
        emit SaleProposed(saleId, parcelId, _msgSender(), seller, buyer, price, deedHash);
    }

    /// @notice The buyer (its controller wallet) accepts sale `saleId` with the encumbrance it
    /// saw: the parcel's unreleased liens and each holder's answer to this sale.
    /// @param encumbranceHash `LienRegistry.saleEncumbranceHash(saleId)` as the buyer read it;
    /// it must equal the current one, and every unreleased lien must have answered.
    function acceptSale(uint256 saleId, bytes32 encumbranceHash) external whenNotPaused {
        Sale storage sale = _sales[saleId];
        if (sale.state != SaleState.Proposed) revert TitleSaleWrongState(saleId, sale.state);
        if (_activeController(sale.buyer) != _msgSender()) revert TitleNotSaleParty(saleId, _msgSender());
        uint256 parcelId = sale.parcelId;
        ILienRegistry liens = _lienRegistry; // set together with the tax module (setModules)
        if (address(liens) == address(0)) revert TitleModulesNotSet();
        (bytes32 current, bool answered) = liens.saleEncumbranceOf(parcelId, saleId);
        if (current != encumbranceHash) revert TitleEncumbranceChanged(encumbranceHash, current);
        if (!answered) revert TitleLiensUnanswered(saleId);
        sale.state = SaleState.Accepted;
        sale.encumbranceHash = current;
        emit SaleAccepted(saleId, parcelId, _msgSender(), current);
    }

    /// @notice Seller or buyer withdraws from sale `saleId` before the registrar approves it.
    function cancelSale(uint256 saleId) external {
        Sale storage sale = _sales[saleId];
        if (sale.state != SaleState.Proposed && sale.state != SaleState.Accepted) {
            revert TitleSaleWrongState(saleId, sale.state);
        }
        address caller = _msgSender();
        if (caller != _identities.activeControllerOf(sale.seller) && caller != _identities.activeControllerOf(sale.buyer)) {
            revert TitleNotSaleParty(saleId, caller);
        }
        sale.state = SaleState.Cancelled;
        delete _openSale[sale.parcelId];
        emit SaleCancelled(saleId, sale.parcelId, caller);
    }

    /// @notice The registrar refuses sale `saleId` (e.g. deed defective). Registrar only.
    /// @param reasonHash Content hash of the written decision.
    function rejectSale(uint256 saleId, bytes32 reasonHash) external restricted {
        Sale storage sale = _sales[saleId];
        if (sale.state != SaleState.Proposed && sale.state != SaleState.Accepted) {
            revert TitleSaleWrongState(saleId, sale.state);
        }
        sale.state = SaleState.Rejected;
        delete _openSale[sale.parcelId];
        emit SaleRejected(saleId, sale.parcelId, _msgSender(), reasonHash);
    }

    /// @notice The registrar approves accepted sale `saleId`: the title moves to the buyer.
    /// Requires both identities active, the encumbrance the buyer accepted (every unreleased
    /// lien answered) and no property tax past due. Liens answered "discharge at closing" are
    /// released; the others stay, as the buyer accepted.
    function approveSale(uint256 saleId) external restricted whenNotPaused {
        Sale storage sale = _sales[saleId];
        if (sale.state != SaleState.Accepted) revert TitleSaleWrongState(saleId, sale.state);
        uint256 parcelId = sale.parcelId;
        (ILienRegistry liens, IPropertyTax tax) = _modules();
        _activeController(sale.seller);
        address buyerWallet = _activeController(sale.buyer);
        (bytes32 current, bool answered) = liens.saleEncumbranceOf(parcelId, saleId);
        bytes32 accepted = sale.encumbranceHash;
        if (current != accepted) revert TitleEncumbranceChanged(accepted, current);
        if (!answered) revert TitleBlockedByLien(parcelId);
        if (tax.hasOverdue(parcelId)) revert TitleBlockedByTax(parcelId);

        sale.state = SaleState.Completed;
        delete _openSale[parcelId];
        _appendTitle(parcelId, sale.buyer, uint64(saleId), TitleCause.Sale);
        _update(buyerWallet, parcelId, address(0));
        emit SaleApproved(saleId, parcelId, _msgSender(), sale.seller, sale.buyer);

        liens.onSaleClosed(parcelId, saleId);
    }

    // ------------------------------------------------------------------ split / merge

    /// @notice Retires `parentId` and creates `children` (2..MAX_PIECES) owned by the same
    /// identity; their areas must add up to the parent's. Requires no open sale, no unreleased
    /// lien and no unpaid tax on the parent (assessments stay with the retired parent). Registrar only.
    function split(uint256 parentId, ParcelData[] calldata children) external restricted whenNotPaused {
        uint256 n = children.length;
        if (n < 2 || n > MAX_PIECES) revert TitleBadBatchSize(n, 2, MAX_PIECES);
        _requireUnencumbered(parentId);
        Parcel storage parent = _parcels[parentId];
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            total += children[i].area;
        }
        if (total != parent.area) revert TitleAreaMismatch(parent.area, total);

        bytes32 owner = _currentOwner(parentId);
        address holder = _activeController(owner);
        _retire(parentId);
        uint256[] storage childIds = _children[parentId];
        for (uint256 i = 0; i < n; ++i) {
            uint256 childId = children[i].parcelId;
            _create(children[i], owner, holder, TitleCause.Split);
            _parents[childId].push(parentId);
            childIds.push(childId);
        }
        emit ParcelSplit(parentId, _msgSender(), childIds);
    }

    /// @notice Retires `parentIds` (2..MAX_PIECES, same owner) and creates `merged`, whose area
    /// must equal their sum. Adjacency is attested by the registrar's survey (`merged.dataHash`);
    /// the contract cannot check geometry. Same encumbrance rules as `split`. Registrar only.
    function merge(uint256[] calldata parentIds, ParcelData calldata merged) external restricted whenNotPaused {
        uint256 n = parentIds.length;
        if (n < 2 || n > MAX_PIECES) revert TitleBadBatchSize(n, 2, MAX_PIECES);
        bytes32 owner = _currentOwner(parentIds[0]);
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 parentId = parentIds[i];
            _requireUnencumbered(parentId);
            if (_currentOwner(parentId) != owner) revert TitleOwnersDiffer(parentId);
            total += _parcels[parentId].area;
            _retire(parentId); // a repeated id is no longer active: the check above rejects it
        }
        if (total != merged.area) revert TitleAreaMismatch(total, merged.area);

        address holder = _activeController(owner);
        _create(merged, owner, holder, TitleCause.Merge);
        uint256 mergedId = merged.parcelId;
        for (uint256 i = 0; i < n; ++i) {
            _parents[mergedId].push(parentIds[i]);
            _children[parentIds[i]].push(mergedId);
        }
        emit ParcelsMerged(mergedId, _msgSender(), parentIds);
    }

    /// @inheritdoc ITitleRegistry
    function onEncumbranceChanged(uint256 parcelId, address operator) external {
        if (_msgSender() != address(_lienRegistry)) revert TitleOnlyLienRegistry(_msgSender());
        uint256 saleId = _openSale[parcelId];
        if (saleId == 0) return;
        Sale storage sale = _sales[saleId];
        if (sale.state != SaleState.Accepted) return;
        bytes32 accepted = sale.encumbranceHash;
        sale.state = SaleState.Proposed;
        sale.encumbranceHash = bytes32(0);
        emit SaleAcceptanceVoided(saleId, parcelId, operator, accepted);
    }

    /// @notice Moves the title token to the owner identity's current controller (after the
    /// identity office rotated or recovered the controller). Anyone may call; no-op when in sync.
    function syncHolder(uint256 parcelId) external whenNotPaused {
        if (!isActiveParcel(parcelId)) revert TitleParcelNotActive(parcelId);
        address controller = _activeController(_currentOwner(parcelId));
        address holder = _ownerOf(parcelId);
        if (holder != controller) {
            _update(controller, parcelId, address(0));
            emit HolderSynced(parcelId, _msgSender(), holder, controller);
        }
    }

    // ------------------------------------------------------------------ disabled ERC-721 entry points
    // Kept non-pure so the ABI stays ERC-721's (wallets send them as transactions).

    /// @notice Disabled: titles move only through `approveSale`.
    function transferFrom(address, address, uint256) public override {
        revert TitleTransferDisabled();
    }

    /// @notice Disabled: titles move only through `approveSale`.
    function safeTransferFrom(address, address, uint256, bytes memory) public override {
        revert TitleTransferDisabled();
    }

    /// @notice Disabled: there are no operators of titles.
    function approve(address, uint256) public override {
        revert TitleTransferDisabled();
    }

    /// @notice Disabled: there are no operators of titles.
    function setApprovalForAll(address, bool) public override {
        revert TitleTransferDisabled();
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITitleRegistry
    function isActiveParcel(uint256 parcelId) public view returns (bool) {
        return _parcels[parcelId].status == ParcelStatus.Active;
    }

    /// @inheritdoc ITitleRegistry
    function ownerIdentityOf(uint256 parcelId) external view returns (bytes32) {
        return _currentOwner(parcelId);
    }

    /// @inheritdoc ITitleRegistry
    function saleParcelOf(uint256 saleId) external view returns (uint256) {
        return _sales[saleId].parcelId;
    }

    /// @inheritdoc ITitleRegistry
    function isSaleOpen(uint256 saleId) external view returns (bool) {
        SaleState state = _sales[saleId].state;
        return state == SaleState.Proposed || state == SaleState.Accepted;
    }

    /// @inheritdoc ITitleRegistry
    function saleStatusOf(uint256 saleId) external view returns (uint256 parcelId, bool open, bool accepted) {
        Sale storage sale = _sales[saleId];
        SaleState state = sale.state;
        accepted = state == SaleState.Accepted;
        return (sale.parcelId, accepted || state == SaleState.Proposed, accepted);
    }

    /// @inheritdoc ITitleRegistry
    function acceptedSaleOf(uint256 parcelId) external view returns (uint256 saleId) {
        saleId = _openSale[parcelId];
        if (saleId != 0 && _sales[saleId].state != SaleState.Accepted) saleId = 0;
    }

    /// @notice The stored parcel (status None when unregistered).
    function parcelOf(uint256 parcelId) external view returns (Parcel memory) {
        return _parcels[parcelId];
    }

    /// @notice The base URI followed by the parcel id as 0x + 64 hex digits (also for retired
    /// parcels); empty while the admin has set no base URI.
    function tokenURI(uint256 parcelId) public view override returns (string memory) {
        if (_parcels[parcelId].status == ParcelStatus.None) revert TitleParcelNotActive(parcelId);
        string memory base = _baseTokenURI;
        return bytes(base).length == 0 ? "" : string.concat(base, Strings.toHexString(parcelId, 32));
    }

    /// @notice The base of every title's token URI (empty until the admin sets one).
    function baseURI() external view returns (string memory) {
        return _baseTokenURI;
    }

    /// @notice The parcel's chain of titles, oldest first (registration, then each sale).
    /// @dev Unbounded by design (one entry per sale); for off-chain reads.
    function chainOfTitle(uint256 parcelId) external view returns (TitleEntry[] memory entries) {
        uint256 n = _parcels[parcelId].titleCount;
        entries = new TitleEntry[](n);
        for (uint256 i = 0; i < n; ++i) {
            entries[i] = _titles[parcelId][i];
        }
    }

    /// @notice Parcels `parcelId` was split or merged from (empty for registered parcels).
    function parentsOf(uint256 parcelId) external view returns (uint256[] memory) {
        return _parents[parcelId];
    }

    /// @notice Parcels created from `parcelId` by a split or merge (empty while active).
    function childrenOf(uint256 parcelId) external view returns (uint256[] memory) {
        return _children[parcelId];
    }

    /// @notice Sale `saleId` (state None when unknown).
    function saleOf(uint256 saleId) external view returns (Sale memory) {
        return _sales[saleId];
    }

    /// @notice The open (proposed or accepted) sale of `parcelId`, zero if none.
    function openSaleOf(uint256 parcelId) external view returns (uint256) {
        return _openSale[parcelId];
    }

    /// @notice Number of sales ever proposed (sale ids are 1..saleCount).
    function saleCount() external view returns (uint256) {
        return _saleCount;
    }

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
        returns (bool accepted, bool identitiesActive, bool liensCleared, bool taxClear, bool encumbranceAsAccepted)
    {
        Sale storage sale = _sales[saleId];
        accepted = sale.state == SaleState.Accepted;
        identitiesActive = _identities.isActive(sale.seller) && _identities.isActive(sale.buyer);
        (ILienRegistry liens, IPropertyTax tax) = _modules();
        bytes32 current;
        (current, liensCleared) = liens.saleEncumbranceOf(sale.parcelId, saleId);
        taxClear = !tax.hasOverdue(sale.parcelId);
        encumbranceAsAccepted = accepted && current == sale.encumbranceHash;
    }

    /// @notice Data hash of each of `parcelIds` (zero for unregistered ids): lets bulk imports
    /// check hundreds of parcels per call.
    function dataHashesOf(uint256[] calldata parcelIds) external view returns (bytes32[] memory hashes) {
        hashes = new bytes32[](parcelIds.length);
        for (uint256 i = 0; i < parcelIds.length; ++i) {
            hashes[i] = _parcels[parcelIds[i]].dataHash;
        }
    }

    /// @notice The identity registry owners are looked up in.
    function identityRegistry() external view returns (address) {
        return address(_identities);
    }

    /// @notice The lien registry (zero until the admin sets it).
    function lienRegistry() external view returns (address) {
        return address(_lienRegistry);
    }

    /// @notice The property-tax module (zero until the admin sets it).
    function taxModule() external view returns (address) {
        return address(_taxModule);
    }

    // ------------------------------------------------------------------ internals

    function _create(ParcelData calldata data, bytes32 owner, address holder, TitleCause cause) private {
        uint256 parcelId = data.parcelId;
        if (parcelId == 0 || _parcels[parcelId].status != ParcelStatus.None) revert TitleParcelExists(parcelId);
        if (data.dataHash == bytes32(0) || data.area == 0) revert TitleInvalidParcelData(parcelId);
        _parcels[parcelId] = Parcel({
            dataHash: data.dataHash,
            area: data.area,
            landUse: data.landUse,
            registeredAt: uint48(block.timestamp),
            status: ParcelStatus.Active,
            titleCount: 0
        });
        _appendTitle(parcelId, owner, 0, cause);
        _update(holder, parcelId, address(0));
        emit ParcelRegistered(parcelId, owner, _msgSender(), data.dataHash, data.area, data.landUse);
    }

    function _appendTitle(uint256 parcelId, bytes32 owner, uint64 saleId, TitleCause cause) private {
        Parcel storage parcel = _parcels[parcelId];
        uint32 index = parcel.titleCount; // 2**32 - 1 entries: the increment below never overflows in practice
        _titles[parcelId][index] =
            TitleEntry({owner: owner, since: uint64(block.timestamp), saleId: saleId, cause: cause});
        parcel.titleCount = index + 1;
    }

    function _retire(uint256 parcelId) private {
        _parcels[parcelId].status = ParcelStatus.Retired;
        _update(address(0), parcelId, address(0));
    }

    function _currentOwner(uint256 parcelId) private view returns (bytes32) {
        uint256 n = _parcels[parcelId].titleCount;
        return n == 0 ? bytes32(0) : _titles[parcelId][n - 1].owner;
    }

    /// @dev The controller of `subject`, which must be an active identity with a controller.
    function _activeController(bytes32 subject) private view returns (address controller) {
        controller = _identities.activeControllerOf(subject);
        if (controller == address(0)) revert TitleIdentityNotActive(subject);
    }

    /// @dev The owner identity of active `parcelId`, whose active controller must be the caller.
    function _requireOwnerController(uint256 parcelId) private view returns (bytes32 owner) {
        if (!isActiveParcel(parcelId)) revert TitleParcelNotActive(parcelId);
        owner = _currentOwner(parcelId);
        if (_activeController(owner) != _msgSender()) revert TitleNotOwnerController(parcelId, _msgSender());
    }

    function _requireUnencumbered(uint256 parcelId) private view {
        if (!isActiveParcel(parcelId)) revert TitleParcelNotActive(parcelId);
        if (_openSale[parcelId] != 0) revert TitleBlockedBySale(parcelId);
        (ILienRegistry liens, IPropertyTax tax) = _modules();
        if (liens.hasActiveLiens(parcelId)) revert TitleBlockedByLien(parcelId);
        if (tax.hasUnpaid(parcelId)) revert TitleBlockedByTax(parcelId);
    }

    /// @dev True when `module` is a contract answering as a lien registry (`isLien`) or a
    /// tax module of THIS title registry: a set-once link to a wrong module would be permanent.
    /// Probe: parcel id 0 is never registered, so a real module reports no lien / no unpaid tax
    /// on it; a contract without the function (e.g. the other module) reverts.
    function _isModuleOfThis(address module, bool isLien) private view returns (bool) {
        if (module.code.length == 0) return false;
        try ILienRegistry(module).titleRegistry() returns (address registry) {
            if (registry != address(this)) return false;
        } catch {
            return false;
        }
        if (isLien) {
            try ILienRegistry(module).hasActiveLiens(0) returns (bool encumbered) {
                return !encumbered;
            } catch {
                return false;
            }
        }
        try IPropertyTax(module).hasUnpaid(0) returns (bool unpaid) {
            return !unpaid;
        } catch {
            return false;
        }
    }

    function _modules() private view returns (ILienRegistry liens, IPropertyTax tax) {
        liens = _lienRegistry;
        tax = _taxModule;
        if (address(liens) == address(0) || address(tax) == address(0)) revert TitleModulesNotSet();
    }
}
