// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {CityManaged} from "../common/CityManaged.sol";
import {IdentityGate} from "../common/IdentityGate.sol";
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
/// - Parties act through their identity's controller wallet while the identity is Active
///   (`IdentityGate.activeController`, error `CityIdentityNotActive`): owners, buyers and the
///   new holders of registered, split or merged parcels.
/// - Modules: the lien registry and the property-tax module are set ONCE by the admin
///   (`setModules`, both at once, each wired to this registry); they are never replaced, so no
///   admin action can drop the liens or tax arrears they hold (a module is upgraded in place,
///   behind its own proxy). Until set, sales, splits and merges revert.
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
///   liens it accepted as KeepLien. A sale therefore closes only while the lien registry is
///   open too (its discharges stop with it).
/// - Either party cancels, and the registrar rejects, an open (proposed or accepted) sale.
/// - A parcel's chain of title holds at most 2**32 - 1 entries (`titleCount` is uint32; one
///   entry per registration or sale: out of reach); `registeredAt` is a uint48 timestamp, so a
///   stored parcel still fills two storage slots.
/// - Stopping (CityManaged's story): a pause (guardian) stops registrations, sale proposals,
///   acceptances and approvals, splits, merges, holder syncs and the admin's settings. Three
///   things continue during a pause, because each only ends or protects a sale and none moves a
///   title: `cancelSale` (a party may always withdraw from a sale that has not closed),
///   `rejectSale` (the registrar may still refuse a sale, e.g. one proposed with a stolen key:
///   the usual reason for a pause) and `onEncumbranceChanged` (a court order or a holder's
///   release recorded in the lien registry must still void the acceptance it changes, so the
///   buyer never receives liens it did not accept). Closing the registry in the AccessManager
///   stops all of them, the lien registry's hook included (court orders on its parcels then
///   wait for it to reopen).
/// - Upgradeable behind a CityProxy (see CityManaged): all state lives in the ERC-7201
///   namespace `civic.TitleRegistry` (plus OpenZeppelin's namespaced ERC-721 storage), so the
///   titles, sales and module links survive upgrades; the identity registry is set once, in
///   `initialize`.
contract TitleRegistry is CityManaged, ERC721Upgradeable, ITitleRegistry {
    /// @custom:storage-location erc7201:civic.TitleRegistry
    struct TitleRegistryStorage {
        IIdentityRegistry identities;
        ILienRegistry lienRegistry;
        IPropertyTax taxModule;
        uint64 saleCount;
        string baseTokenURI;
        mapping(uint256 parcelId => Parcel) parcels;
        mapping(uint256 parcelId => mapping(uint256 index => TitleEntry)) titles;
        mapping(uint256 parcelId => uint256[]) parents;
        mapping(uint256 parcelId => uint256[]) children;
        mapping(uint256 saleId => Sale) sales;
        mapping(uint256 parcelId => uint256 saleId) openSale;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.TitleRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant TITLE_REGISTRY_STORAGE =
        0x4b388116e3d63f27264c631a17dd328a5301b4f6bfef0f01f0d495fd3ebc3d00;

    /// @notice Most parcels one `registerBatch` call registers.
    uint256 public constant MAX_BATCH = 100;
    /// @notice Most children of one split and most parents of one merge.
    uint256 public constant MAX_PIECES = 16;
    /// @notice Longest base URI the admin may set (bytes).
    uint256 public constant MAX_BASE_URI_LENGTH = 256;

    /// @notice Sets the authority, the token's name and symbol and the identity registry (once,
    /// via the proxy).
    /// @param initialAuthority The city's AccessManager.
    /// @param identityRegistry_ The IdentityRegistry owners are looked up in.
    function initialize(address initialAuthority, address identityRegistry_) external initializer {
        __CityManaged_init(initialAuthority);
        __ERC721_init("City Land Title", "TITLE");
        _s().identities = IIdentityRegistry(identityRegistry_);
    }

    // ------------------------------------------------------------------ admin wiring

    /// @inheritdoc ITitleRegistry
    function setModules(address lienRegistry_, address taxModule_) external restricted whenNotPaused {
        TitleRegistryStorage storage $ = _s();
        if (address($.lienRegistry) != address(0) || address($.taxModule) != address(0)) {
            revert TitleModulesAlreadySet();
        }
        if (!_isModuleOfThis(lienRegistry_, true) || !_isModuleOfThis(taxModule_, false)) {
            revert TitleInvalidModules(lienRegistry_, taxModule_);
        }
        $.lienRegistry = ILienRegistry(lienRegistry_);
        $.taxModule = IPropertyTax(taxModule_);
        emit ModulesSet(_msgSender(), lienRegistry_, taxModule_);
    }

    /// @inheritdoc ITitleRegistry
    function setBaseURI(string calldata baseURI_) external restricted whenNotPaused {
        uint256 length = bytes(baseURI_).length;
        if (length > MAX_BASE_URI_LENGTH) revert TitleBaseURITooLong(length, MAX_BASE_URI_LENGTH);
        _s().baseTokenURI = baseURI_;
        emit BaseURISet(_msgSender(), baseURI_);
    }

    // ------------------------------------------------------------------ registration

    /// @inheritdoc ITitleRegistry
    function register(bytes32 owner, ParcelData calldata parcel) external restricted whenNotPaused {
        TitleRegistryStorage storage $ = _s();
        address holder = IdentityGate.activeController($.identities, owner);
        _create($, parcel, owner, holder, TitleCause.Registration);
    }

    /// @inheritdoc ITitleRegistry
    function registerBatch(bytes32[] calldata owners, ParcelData[] calldata parcels)
        external
        restricted
        whenNotPaused
    {
        uint256 n = parcels.length;
        _requireBatchSize(n, 1, MAX_BATCH);
        if (owners.length != n) revert TitleLengthMismatch();
        TitleRegistryStorage storage $ = _s();
        IIdentityRegistry identities = $.identities;
        bytes32 lastOwner = bytes32(0);
        address holder = address(0);
        for (uint256 i = 0; i < n; ++i) {
            // Imports list parcels by owner: skip the identity lookup when it repeats.
            if (i == 0 || owners[i] != lastOwner) {
                lastOwner = owners[i];
                holder = IdentityGate.activeController(identities, lastOwner);
            }
            _create($, parcels[i], lastOwner, holder, TitleCause.Registration);
        }
    }

    // ------------------------------------------------------------------ sale workflow

    /// @inheritdoc ITitleRegistry
    function proposeSale(uint256 parcelId, bytes32 buyer, uint256 price, bytes32 deedHash)
        external
        whenOpen
        returns (uint256 saleId)
    {
        TitleRegistryStorage storage $ = _s();
        bytes32 seller = _requireOwnerController($, parcelId);
        if (buyer == seller || deedHash == bytes32(0)) revert TitleInvalidSale();
        IdentityGate.activeController($.identities, buyer);
        uint256 open = $.openSale[parcelId];
        if (open != 0) revert TitleSaleAlreadyOpen(parcelId, open);

        saleId = ++$.saleCount;
        Sale storage sale = $.sales[saleId]; // encumbranceHash stays zero until accepted
        sale.parcelId = parcelId;
        sale.seller = seller;
        sale.buyer = buyer;
        sale.price = price;
        sale.deedHash = deedHash;
        sale.proposedAt = uint64(block.timestamp);
        sale.state = SaleState.Proposed;
        $.openSale[parcelId] = saleId;
        emit SaleProposed(saleId, parcelId, _msgSender(), seller, buyer, price, deedHash);
    }

    /// @inheritdoc ITitleRegistry
    function acceptSale(uint256 saleId, bytes32 encumbranceHash) external whenOpen {
        TitleRegistryStorage storage $ = _s();
        Sale storage sale = $.sales[saleId];
        if (sale.state != SaleState.Proposed) revert TitleSaleWrongState(saleId, sale.state);
        if (IdentityGate.activeController($.identities, sale.buyer) != _msgSender()) {
            revert TitleNotSaleParty(saleId, _msgSender());
        }
        uint256 parcelId = sale.parcelId;
        ILienRegistry liens = $.lienRegistry; // set together with the tax module (setModules)
        if (address(liens) == address(0)) revert TitleModulesNotSet();
        (bytes32 current, bool answered) = liens.saleEncumbranceOf(parcelId, saleId);
        if (current != encumbranceHash) revert TitleEncumbranceChanged(encumbranceHash, current);
        if (!answered) revert TitleLiensUnanswered(saleId);
        sale.state = SaleState.Accepted;
        sale.encumbranceHash = current;
        emit SaleAccepted(saleId, parcelId, _msgSender(), current);
    }

    /// @inheritdoc ITitleRegistry
    /// @dev Continues during a pause (rules block): withdrawing only ends a sale.
    function cancelSale(uint256 saleId) external whenNotClosed {
        TitleRegistryStorage storage $ = _s();
        Sale storage sale = $.sales[saleId];
        if (sale.state != SaleState.Proposed && sale.state != SaleState.Accepted) {
            revert TitleSaleWrongState(saleId, sale.state);
        }
        address caller = _msgSender();
        IIdentityRegistry identities = $.identities;
        if (caller != identities.activeControllerOf(sale.seller) && caller != identities.activeControllerOf(sale.buyer)) {
            revert TitleNotSaleParty(saleId, caller);
        }
        sale.state = SaleState.Cancelled;
        delete $.openSale[sale.parcelId];
        emit SaleCancelled(saleId, sale.parcelId, caller);
    }

    /// @inheritdoc ITitleRegistry
    /// @dev Continues during a pause (rules block): refusing only ends a sale.
    function rejectSale(uint256 saleId, bytes32 reasonHash) external restricted {
        TitleRegistryStorage storage $ = _s();
        Sale storage sale = $.sales[saleId];
        if (sale.state != SaleState.Proposed && sale.state != SaleState.Accepted) {
            revert TitleSaleWrongState(saleId, sale.state);
        }
        sale.state = SaleState.Rejected;
        delete $.openSale[sale.parcelId];
        emit SaleRejected(saleId, sale.parcelId, _msgSender(), reasonHash);
    }

    /// @inheritdoc ITitleRegistry
    function approveSale(uint256 saleId) external restricted whenNotPaused {
        TitleRegistryStorage storage $ = _s();
        Sale storage sale = $.sales[saleId];
        if (sale.state != SaleState.Accepted) revert TitleSaleWrongState(saleId, sale.state);
        uint256 parcelId = sale.parcelId;
        (ILienRegistry liens, IPropertyTax tax) = _modules($);
        IdentityGate.activeController($.identities, sale.seller);
        address buyerWallet = IdentityGate.activeController($.identities, sale.buyer);
        (bytes32 current, bool answered) = liens.saleEncumbranceOf(parcelId, saleId);
        bytes32 accepted = sale.encumbranceHash;
        if (current != accepted) revert TitleEncumbranceChanged(accepted, current);
        if (!answered) revert TitleBlockedByLien(parcelId);
        if (tax.hasOverdue(parcelId)) revert TitleBlockedByTax(parcelId);

        sale.state = SaleState.Completed;
        delete $.openSale[parcelId];
        _appendTitle($, parcelId, sale.buyer, uint64(saleId), TitleCause.Sale);
        _update(buyerWallet, parcelId, address(0));
        emit SaleApproved(saleId, parcelId, _msgSender(), sale.seller, sale.buyer);

        liens.onSaleClosed(parcelId, saleId);
    }

    // ------------------------------------------------------------------ split / merge

    /// @inheritdoc ITitleRegistry
    function split(uint256 parentId, ParcelData[] calldata children) external restricted whenNotPaused {
        uint256 n = children.length;
        _requireBatchSize(n, 2, MAX_PIECES);
        TitleRegistryStorage storage $ = _s();
        _requireUnencumbered($, parentId);
        Parcel storage parent = $.parcels[parentId];
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            total += children[i].area;
        }
        if (total != parent.area) revert TitleAreaMismatch(parent.area, total);

        bytes32 owner = _currentOwner($, parentId);
        address holder = IdentityGate.activeController($.identities, owner);
        _retire($, parentId);
        uint256[] storage childIds = $.children[parentId];
        for (uint256 i = 0; i < n; ++i) {
            uint256 childId = children[i].parcelId;
            _create($, children[i], owner, holder, TitleCause.Split);
            $.parents[childId].push(parentId);
            childIds.push(childId);
        }
        emit ParcelSplit(parentId, _msgSender(), childIds);
    }

    /// @inheritdoc ITitleRegistry
    function merge(uint256[] calldata parentIds, ParcelData calldata merged) external restricted whenNotPaused {
        uint256 n = parentIds.length;
        _requireBatchSize(n, 2, MAX_PIECES);
        TitleRegistryStorage storage $ = _s();
        bytes32 owner = _currentOwner($, parentIds[0]);
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 parentId = parentIds[i];
            _requireUnencumbered($, parentId);
            if (_currentOwner($, parentId) != owner) revert TitleOwnersDiffer(parentId);
            total += $.parcels[parentId].area;
            _retire($, parentId); // a repeated id is no longer active: the check above rejects it
        }
        if (total != merged.area) revert TitleAreaMismatch(total, merged.area);

        address holder = IdentityGate.activeController($.identities, owner);
        _create($, merged, owner, holder, TitleCause.Merge);
        uint256 mergedId = merged.parcelId;
        for (uint256 i = 0; i < n; ++i) {
            $.parents[mergedId].push(parentIds[i]);
            $.children[parentIds[i]].push(mergedId);
        }
        emit ParcelsMerged(mergedId, _msgSender(), parentIds);
    }

    // ------------------------------------------------------------------ hooks and upkeep

    /// @inheritdoc ITitleRegistry
    /// @dev Continues during a pause (rules block): a lien change must void the acceptance it
    /// changes whatever this registry's pause.
    function onEncumbranceChanged(uint256 parcelId, address operator) external whenNotClosed {
        TitleRegistryStorage storage $ = _s();
        if (_msgSender() != address($.lienRegistry)) revert TitleOnlyLienRegistry(_msgSender());
        uint256 saleId = $.openSale[parcelId];
        if (saleId == 0) return;
        Sale storage sale = $.sales[saleId];
        if (sale.state != SaleState.Accepted) return;
        bytes32 accepted = sale.encumbranceHash;
        sale.state = SaleState.Proposed;
        sale.encumbranceHash = bytes32(0);
        emit SaleAcceptanceVoided(saleId, parcelId, operator, accepted);
    }

    /// @inheritdoc ITitleRegistry
    function syncHolder(uint256 parcelId) external whenOpen {
        TitleRegistryStorage storage $ = _s();
        if (!_isActive($, parcelId)) revert TitleParcelNotActive(parcelId);
        address controller = IdentityGate.activeController($.identities, _currentOwner($, parcelId));
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
    function isActiveParcel(uint256 parcelId) external view returns (bool) {
        return _isActive(_s(), parcelId);
    }

    /// @inheritdoc ITitleRegistry
    function ownerIdentityOf(uint256 parcelId) external view returns (bytes32) {
        return _currentOwner(_s(), parcelId);
    }

    /// @inheritdoc ITitleRegistry
    function saleParcelOf(uint256 saleId) external view returns (uint256) {
        return _s().sales[saleId].parcelId;
    }

    /// @inheritdoc ITitleRegistry
    function isSaleOpen(uint256 saleId) external view returns (bool) {
        SaleState state = _s().sales[saleId].state;
        return state == SaleState.Proposed || state == SaleState.Accepted;
    }

    /// @inheritdoc ITitleRegistry
    function saleStatusOf(uint256 saleId) external view returns (uint256 parcelId, bool open, bool accepted) {
        Sale storage sale = _s().sales[saleId];
        SaleState state = sale.state;
        accepted = state == SaleState.Accepted;
        return (sale.parcelId, accepted || state == SaleState.Proposed, accepted);
    }

    /// @inheritdoc ITitleRegistry
    function acceptedSaleOf(uint256 parcelId) external view returns (uint256 saleId) {
        TitleRegistryStorage storage $ = _s();
        saleId = $.openSale[parcelId];
        if (saleId != 0 && $.sales[saleId].state != SaleState.Accepted) saleId = 0;
    }

    /// @inheritdoc ITitleRegistry
    function parcelOf(uint256 parcelId) external view returns (Parcel memory) {
        return _s().parcels[parcelId];
    }

    /// @notice The base URI followed by the parcel id as 0x + 64 hex digits (also for retired
    /// parcels); empty while the admin has set no base URI.
    function tokenURI(uint256 parcelId) public view override returns (string memory) {
        TitleRegistryStorage storage $ = _s();
        if ($.parcels[parcelId].status == ParcelStatus.None) revert TitleParcelNotActive(parcelId);
        string memory base = $.baseTokenURI;
        return bytes(base).length == 0 ? "" : string.concat(base, Strings.toHexString(parcelId, 32));
    }

    /// @inheritdoc ITitleRegistry
    function baseURI() external view returns (string memory) {
        return _s().baseTokenURI;
    }

    /// @inheritdoc ITitleRegistry
    function chainOfTitle(uint256 parcelId) external view returns (TitleEntry[] memory entries) {
        TitleRegistryStorage storage $ = _s();
        uint256 n = $.parcels[parcelId].titleCount;
        entries = new TitleEntry[](n);
        for (uint256 i = 0; i < n; ++i) {
            entries[i] = $.titles[parcelId][i];
        }
    }

    /// @inheritdoc ITitleRegistry
    function parentsOf(uint256 parcelId) external view returns (uint256[] memory) {
        return _s().parents[parcelId];
    }

    /// @inheritdoc ITitleRegistry
    function childrenOf(uint256 parcelId) external view returns (uint256[] memory) {
        return _s().children[parcelId];
    }

    /// @inheritdoc ITitleRegistry
    function saleOf(uint256 saleId) external view returns (Sale memory) {
        return _s().sales[saleId];
    }

    /// @inheritdoc ITitleRegistry
    function openSaleOf(uint256 parcelId) external view returns (uint256) {
        return _s().openSale[parcelId];
    }

    /// @inheritdoc ITitleRegistry
    function saleCount() external view returns (uint256) {
        return _s().saleCount;
    }

    /// @inheritdoc ITitleRegistry
    function saleReadiness(uint256 saleId)
        external
        view
        returns (bool accepted, bool identitiesActive, bool liensCleared, bool taxClear, bool encumbranceAsAccepted)
    {
        TitleRegistryStorage storage $ = _s();
        Sale storage sale = $.sales[saleId];
        accepted = sale.state == SaleState.Accepted;
        identitiesActive = $.identities.isActive(sale.seller) && $.identities.isActive(sale.buyer);
        (ILienRegistry liens, IPropertyTax tax) = _modules($);
        bytes32 current;
        (current, liensCleared) = liens.saleEncumbranceOf(sale.parcelId, saleId);
        taxClear = !tax.hasOverdue(sale.parcelId);
        encumbranceAsAccepted = accepted && current == sale.encumbranceHash;
    }

    /// @inheritdoc ITitleRegistry
    function dataHashesOf(uint256[] calldata parcelIds) external view returns (bytes32[] memory hashes) {
        TitleRegistryStorage storage $ = _s();
        hashes = new bytes32[](parcelIds.length);
        for (uint256 i = 0; i < parcelIds.length; ++i) {
            hashes[i] = $.parcels[parcelIds[i]].dataHash;
        }
    }

    /// @inheritdoc ITitleRegistry
    function identityRegistry() external view returns (address) {
        return address(_s().identities);
    }

    /// @inheritdoc ITitleRegistry
    function lienRegistry() external view returns (address) {
        return address(_s().lienRegistry);
    }

    /// @inheritdoc ITitleRegistry
    function taxModule() external view returns (address) {
        return address(_s().taxModule);
    }

    // ------------------------------------------------------------------ internals

    function _create(
        TitleRegistryStorage storage $,
        ParcelData calldata data,
        bytes32 owner,
        address holder,
        TitleCause cause
    ) private {
        uint256 parcelId = data.parcelId;
        if (parcelId == 0 || $.parcels[parcelId].status != ParcelStatus.None) revert TitleParcelExists(parcelId);
        if (data.dataHash == bytes32(0) || data.area == 0) revert TitleInvalidParcelData(parcelId);
        $.parcels[parcelId] = Parcel({
            dataHash: data.dataHash,
            area: data.area,
            landUse: data.landUse,
            registeredAt: uint48(block.timestamp),
            status: ParcelStatus.Active,
            titleCount: 0
        });
        _appendTitle($, parcelId, owner, 0, cause);
        _update(holder, parcelId, address(0));
        emit ParcelRegistered(parcelId, _msgSender(), owner, data.dataHash, data.area, data.landUse);
    }

    function _appendTitle(TitleRegistryStorage storage $, uint256 parcelId, bytes32 owner, uint64 saleId, TitleCause cause)
        private
    {
        Parcel storage parcel = $.parcels[parcelId];
        uint32 index = parcel.titleCount; // 2**32 - 1 entries: the increment below never overflows in practice
        $.titles[parcelId][index] =
            TitleEntry({owner: owner, since: uint64(block.timestamp), saleId: saleId, cause: cause});
        parcel.titleCount = index + 1;
    }

    function _retire(TitleRegistryStorage storage $, uint256 parcelId) private {
        $.parcels[parcelId].status = ParcelStatus.Retired;
        _update(address(0), parcelId, address(0));
    }

    function _isActive(TitleRegistryStorage storage $, uint256 parcelId) private view returns (bool) {
        return $.parcels[parcelId].status == ParcelStatus.Active;
    }

    function _currentOwner(TitleRegistryStorage storage $, uint256 parcelId) private view returns (bytes32) {
        uint256 n = $.parcels[parcelId].titleCount;
        return n == 0 ? bytes32(0) : $.titles[parcelId][n - 1].owner;
    }

    /// @dev The owner identity of active `parcelId`, whose active controller must be the caller.
    function _requireOwnerController(TitleRegistryStorage storage $, uint256 parcelId)
        private
        view
        returns (bytes32 owner)
    {
        if (!_isActive($, parcelId)) revert TitleParcelNotActive(parcelId);
        owner = _currentOwner($, parcelId);
        if (IdentityGate.activeController($.identities, owner) != _msgSender()) {
            revert TitleNotOwnerController(parcelId, _msgSender());
        }
    }

    function _requireUnencumbered(TitleRegistryStorage storage $, uint256 parcelId) private view {
        if (!_isActive($, parcelId)) revert TitleParcelNotActive(parcelId);
        if ($.openSale[parcelId] != 0) revert TitleBlockedBySale(parcelId);
        (ILienRegistry liens, IPropertyTax tax) = _modules($);
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

    function _modules(TitleRegistryStorage storage $) private view returns (ILienRegistry liens, IPropertyTax tax) {
        liens = $.lienRegistry;
        tax = $.taxModule;
        if (address(liens) == address(0) || address(tax) == address(0)) revert TitleModulesNotSet();
    }

    function _s() private pure returns (TitleRegistryStorage storage $) {
        assembly {
            $.slot := TITLE_REGISTRY_STORAGE
        }
    }
}
