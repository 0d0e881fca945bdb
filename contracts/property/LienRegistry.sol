// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {CityManaged} from "../common/CityManaged.sol";
import {IdentityGate} from "../common/IdentityGate.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ITitleRegistry} from "./ITitleRegistry.sol";
import {ILienRegistry} from "./ILienRegistry.sol";

/// @title LienRegistry
/// @notice Liens (mortgages, charges) on land parcels of the TitleRegistry. A lender identity
/// proposes a lien and the parcel owner consents, or the registrar records one by court order.
/// While a lien is unreleased, a sale of the parcel needs the lienholder's answer to that sale:
/// the lien is discharged at closing (paid off from the proceeds) or runs with the land. The
/// buyer accepts the exact encumbrance (liens and answers) it saw. The holder releases a lien;
/// the registrar records court-ordered releases.
/// @dev Rules, in one place:
/// - Parties: every party acts through its identity's controller wallet, while that identity is
///   Active (`IdentityGate.activeController`; a suspended lender's key can neither release nor
///   answer). The holder of a court-ordered lien must be an Active identity too.
/// - Liens: voluntary liens need the lender's proposal and the owner's consent (`consentLien`);
///   court-ordered liens are recorded by the registrar alone (`recordLienByOrder`). The holder
///   releases (`releaseLien`); the registrar records court-ordered releases (`orderRelease`).
/// - Caps: a parcel carries at most `MAX_LIENS_PER_PARCEL` (8) unreleased VOLUNTARY liens and,
///   separately, `MAX_ORDERED_LIENS_PER_PARCEL` (8) unreleased court-ordered ones. The owner and
///   an accomplice lender can fill only the voluntary cap: a court order is always recordable
///   (until 8 court orders are unreleased). Every loop here runs over at most 16 liens.
/// - Answers: while a sale of the parcel is Proposed, the holder of each unreleased lien answers
///   it: KeepLien (the lien runs with the land) or DischargeAtClosing (released when the sale
///   closes), and may change or withdraw its answer. An answer is for that sale only.
/// - Encumbrance: `saleEncumbranceHash(saleId)` commits to the sale, its parcel, the parcel's
///   unreleased liens (id, holder, amount) and each one's answer; the buyer accepts that hash
///   (TitleRegistry.acceptSale), and only once every unreleased lien has answered.
/// - Frozen while accepted: once the buyer accepted a sale, the answers it relied on bind:
///   `consentToSale` / `withdrawSaleConsent` for that sale are refused (a lender with a real
///   problem asks the registrar to reject the sale), and so is the owner's `consentLien` on that
///   parcel (the seller cannot encumber what it agreed to sell).
/// - Voiding: a change of the set of unreleased liens while a sale is accepted — a court-ordered
///   lien (`recordLienByOrder`), a court-ordered release (`orderRelease`) or a holder's own
///   `releaseLien` — is allowed and voids the acceptance: the title registry puts the sale back
///   to Proposed and emits `SaleAcceptanceVoided` naming the account that acted; the buyer may
///   then accept the new state.
/// - Closing: the title registry marks the sale Completed, then calls `onSaleClosed`, which
///   releases the liens answered DischargeAtClosing (the sale is no longer open: nothing is
///   voided). The liens left on the parcel are exactly those the buyer accepted as KeepLien.
/// - Stopping (CityManaged's story): a pause (guardian) stops proposing, consenting to and
///   releasing liens, court orders and court-ordered releases, answering sales and closing them
///   (`onSaleClosed`: the title registry's approval then waits; a sale closes together with the
///   discharges it triggers, never without them). One thing continues during a pause:
///   `withdrawLien`, because it only ends a proposal that never took effect, and a lender must
///   be able to take back its offer (otherwise the owner could consent to it the moment the
///   pause ends). Closing the registry in the AccessManager stops it too.
/// - Upgradeable behind a CityProxy (see CityManaged): all state lives in the ERC-7201
///   namespace `civic.LienRegistry`; the title and identity registries are set once, in
///   `initialize`.
contract LienRegistry is CityManaged, ILienRegistry {
    /// @custom:storage-location erc7201:civic.LienRegistry
    struct LienRegistryStorage {
        ITitleRegistry titles;
        IIdentityRegistry identities;
        uint256 lienCount;
        mapping(uint256 lienId => Lien) liens;
        mapping(uint256 parcelId => uint256[]) activeLiens;
        mapping(uint256 lienId => mapping(uint256 saleId => SaleConsent)) saleConsents;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.LienRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant LIEN_REGISTRY_STORAGE =
        0xcfdd177c93649942a16cdf48832e2f585ddcd0b9af501350274efd6c60021600;

    /// @notice Most unreleased voluntary (owner-consented) liens one parcel can carry.
    uint256 public constant MAX_LIENS_PER_PARCEL = 8;
    /// @notice Most unreleased court-ordered liens one parcel can carry (voluntary liens never
    /// count against it).
    uint256 public constant MAX_ORDERED_LIENS_PER_PARCEL = 8;

    /// @notice Sets the authority and the registries (once, via the proxy).
    /// @param initialAuthority The city's AccessManager.
    /// @param titleRegistry_ The TitleRegistry whose parcels carry the liens.
    /// @param identityRegistry_ The IdentityRegistry parties are looked up in.
    function initialize(address initialAuthority, address titleRegistry_, address identityRegistry_)
        external
        initializer
    {
        __CityManaged_init(initialAuthority);
        LienRegistryStorage storage $ = _s();
        $.titles = ITitleRegistry(titleRegistry_);
        $.identities = IIdentityRegistry(identityRegistry_);
    }

    // ------------------------------------------------------------------ liens

    /// @inheritdoc ILienRegistry
    function proposeLien(uint256 parcelId, bytes32 holder, uint256 amount, bytes32 evidenceHash)
        external
        whenOpen
        returns (uint256 lienId)
    {
        LienRegistryStorage storage $ = _s();
        if (_checkNewLien($, parcelId, holder, amount, evidenceHash) != _msgSender()) {
            revert LienUnauthorized(0, _msgSender());
        }
        lienId = _newLien($, parcelId, holder, amount, evidenceHash, LienState.Proposed, false);
        emit LienProposed(lienId, parcelId, _msgSender(), holder, amount, evidenceHash);
    }

    /// @inheritdoc ILienRegistry
    function consentLien(uint256 lienId) external whenOpen {
        LienRegistryStorage storage $ = _s();
        Lien storage lien = $.liens[lienId];
        if (lien.state != LienState.Proposed) revert LienWrongState(lienId, lien.state);
        uint256 parcelId = lien.parcelId;
        bytes32 owner = _requireParcelOwner($, parcelId);
        if (IdentityGate.activeController($.identities, owner) != _msgSender()) {
            revert LienUnauthorized(lienId, _msgSender());
        }
        uint256 accepted = $.titles.acceptedSaleOf(parcelId);
        if (accepted != 0) revert LienSaleAccepted(parcelId, accepted);
        _activate($, lienId, lien);
        emit LienRecorded(lienId, parcelId, _msgSender(), lien.holder, lien.amount, false);
    }

    /// @inheritdoc ILienRegistry
    /// @dev Continues during a pause (rules block): it only ends a proposal.
    function withdrawLien(uint256 lienId) external whenNotClosed {
        LienRegistryStorage storage $ = _s();
        Lien storage lien = $.liens[lienId];
        if (lien.state != LienState.Proposed) revert LienWrongState(lienId, lien.state);
        address caller = _msgSender();
        IIdentityRegistry identities = $.identities;
        if (
            caller != identities.activeControllerOf(lien.holder)
                && caller != identities.activeControllerOf($.titles.ownerIdentityOf(lien.parcelId))
        ) revert LienUnauthorized(lienId, caller);
        lien.state = LienState.Withdrawn;
        emit LienWithdrawn(lienId, lien.parcelId, caller);
    }

    /// @inheritdoc ILienRegistry
    function recordLienByOrder(uint256 parcelId, bytes32 holder, uint256 amount, bytes32 orderHash)
        external
        restricted
        whenNotPaused
        returns (uint256 lienId)
    {
        LienRegistryStorage storage $ = _s();
        _checkNewLien($, parcelId, holder, amount, orderHash);
        lienId = _newLien($, parcelId, holder, amount, orderHash, LienState.Proposed, true);
        Lien storage lien = $.liens[lienId];
        _activate($, lienId, lien);
        emit LienRecorded(lienId, parcelId, _msgSender(), holder, amount, true);
        $.titles.onEncumbranceChanged(parcelId, _msgSender());
    }

    /// @inheritdoc ILienRegistry
    function releaseLien(uint256 lienId) external whenOpen {
        LienRegistryStorage storage $ = _s();
        Lien storage lien = $.liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if ($.identities.activeControllerOf(lien.holder) != _msgSender()) {
            revert LienUnauthorized(lienId, _msgSender());
        }
        _release($, lienId, lien);
        emit LienReleased(lienId, lien.parcelId, _msgSender(), bytes32(0), 0);
        $.titles.onEncumbranceChanged(lien.parcelId, _msgSender());
    }

    /// @inheritdoc ILienRegistry
    function orderRelease(uint256 lienId, bytes32 orderHash) external restricted whenNotPaused {
        LienRegistryStorage storage $ = _s();
        Lien storage lien = $.liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if (orderHash == bytes32(0)) revert LienInvalid();
        _release($, lienId, lien);
        emit LienReleased(lienId, lien.parcelId, _msgSender(), orderHash, 0);
        $.titles.onEncumbranceChanged(lien.parcelId, _msgSender());
    }

    // ------------------------------------------------------------------ sales

    /// @inheritdoc ILienRegistry
    function consentToSale(uint256 lienId, uint256 saleId, bool dischargeAtClosing) external whenOpen {
        _setSaleConsent(lienId, saleId, dischargeAtClosing ? SaleConsent.DischargeAtClosing : SaleConsent.KeepLien);
    }

    /// @inheritdoc ILienRegistry
    function withdrawSaleConsent(uint256 lienId, uint256 saleId) external whenOpen {
        _setSaleConsent(lienId, saleId, SaleConsent.None);
    }

    /// @inheritdoc ILienRegistry
    function onSaleClosed(uint256 parcelId, uint256 saleId) external whenOpen {
        LienRegistryStorage storage $ = _s();
        if (_msgSender() != address($.titles)) revert LienOnlyTitleRegistry(_msgSender());
        uint256[] storage active = $.activeLiens[parcelId];
        // Walk backwards: `_release` swap-removes from `active`. At most 16 liens.
        for (uint256 i = active.length; i > 0; --i) {
            uint256 lienId = active[i - 1];
            if ($.saleConsents[lienId][saleId] == SaleConsent.DischargeAtClosing) {
                Lien storage lien = $.liens[lienId];
                _release($, lienId, lien);
                emit LienReleased(lienId, parcelId, _msgSender(), bytes32(0), saleId);
            }
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILienRegistry
    function hasActiveLiens(uint256 parcelId) external view returns (bool) {
        return _s().activeLiens[parcelId].length != 0;
    }

    /// @inheritdoc ILienRegistry
    function saleCleared(uint256 parcelId, uint256 saleId) external view returns (bool) {
        LienRegistryStorage storage $ = _s();
        uint256[] storage active = $.activeLiens[parcelId];
        for (uint256 i = 0; i < active.length; ++i) {
            if ($.saleConsents[active[i]][saleId] == SaleConsent.None) return false;
        }
        return true;
    }

    /// @inheritdoc ILienRegistry
    function saleEncumbranceHash(uint256 saleId) external view returns (bytes32 encumbranceHash) {
        LienRegistryStorage storage $ = _s();
        (, encumbranceHash,) = _encumbrance($, $.titles.saleParcelOf(saleId), saleId);
    }

    /// @inheritdoc ILienRegistry
    function saleEncumbrance(uint256 saleId)
        external
        view
        returns (SaleEncumbrance memory encumbrance, bytes32 encumbranceHash, bool answered)
    {
        LienRegistryStorage storage $ = _s();
        return _encumbrance($, $.titles.saleParcelOf(saleId), saleId);
    }

    /// @inheritdoc ILienRegistry
    function saleEncumbranceOf(uint256 parcelId, uint256 saleId)
        external
        view
        returns (bytes32 encumbranceHash, bool answered)
    {
        (, encumbranceHash, answered) = _encumbrance(_s(), parcelId, saleId);
    }

    /// @inheritdoc ILienRegistry
    function activeLiensOf(uint256 parcelId) external view returns (uint256[] memory) {
        return _s().activeLiens[parcelId];
    }

    /// @inheritdoc ILienRegistry
    function lienOf(uint256 lienId) external view returns (Lien memory) {
        return _s().liens[lienId];
    }

    /// @inheritdoc ILienRegistry
    function saleConsentOf(uint256 lienId, uint256 saleId) external view returns (SaleConsent) {
        return _s().saleConsents[lienId][saleId];
    }

    /// @inheritdoc ILienRegistry
    function lienCount() external view returns (uint256) {
        return _s().lienCount;
    }

    /// @inheritdoc ILienRegistry
    function titleRegistry() external view returns (address) {
        return address(_s().titles);
    }

    /// @inheritdoc ILienRegistry
    function identityRegistry() external view returns (address) {
        return address(_s().identities);
    }

    // ------------------------------------------------------------------ internals

    function _newLien(
        LienRegistryStorage storage $,
        uint256 parcelId,
        bytes32 holder,
        uint256 amount,
        bytes32 evidenceHash,
        LienState state,
        bool byOrder
    ) private returns (uint256 lienId) {
        lienId = ++$.lienCount;
        $.liens[lienId] = Lien({
            parcelId: parcelId,
            holder: holder,
            amount: amount,
            evidenceHash: evidenceHash,
            createdAt: uint64(block.timestamp),
            state: state,
            byOrder: byOrder
        });
    }

    /// @dev Voluntary and court-ordered liens are capped separately (8 each, so at most 16
    /// unreleased liens per parcel): counting the same kind walks at most 16 entries.
    function _activate(LienRegistryStorage storage $, uint256 lienId, Lien storage lien) private {
        uint256 parcelId = lien.parcelId;
        uint256[] storage active = $.activeLiens[parcelId];
        uint256 n = active.length;
        uint256 ordered = 0;
        for (uint256 i = 0; i < n; ++i) {
            if ($.liens[active[i]].byOrder) ++ordered;
        }
        if (lien.byOrder) {
            if (ordered >= MAX_ORDERED_LIENS_PER_PARCEL) revert LienTooManyOrderedLiens(parcelId);
        } else if (n - ordered >= MAX_LIENS_PER_PARCEL) {
            revert LienTooManyLiens(parcelId);
        }
        lien.state = LienState.Active;
        $.activeLiens[parcelId].push(lienId);
    }

    function _release(LienRegistryStorage storage $, uint256 lienId, Lien storage lien) private {
        lien.state = LienState.Released;
        uint256[] storage active = $.activeLiens[lien.parcelId];
        uint256 n = active.length;
        for (uint256 i = 0; i < n; ++i) {
            if (active[i] == lienId) {
                active[i] = active[n - 1];
                active.pop();
                return;
            }
        }
    }

    function _setSaleConsent(uint256 lienId, uint256 saleId, SaleConsent consent) private {
        LienRegistryStorage storage $ = _s();
        Lien storage lien = $.liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if ($.identities.activeControllerOf(lien.holder) != _msgSender()) {
            revert LienUnauthorized(lienId, _msgSender());
        }
        (uint256 parcelId, bool open, bool accepted) = $.titles.saleStatusOf(saleId);
        if (parcelId != lien.parcelId || !open) revert LienSaleMismatch(lienId, saleId);
        if (accepted) revert LienSaleAccepted(parcelId, saleId);
        $.saleConsents[lienId][saleId] = consent;
        emit LienSaleConsentSet(lienId, saleId, _msgSender(), consent);
    }

    /// @dev The encumbrance of sale `saleId` of `parcelId` (see `saleEncumbranceHash`); at most
    /// 16 liens: sorted by id with an insertion sort in memory.
    function _encumbrance(LienRegistryStorage storage $, uint256 parcelId, uint256 saleId)
        private
        view
        returns (SaleEncumbrance memory e, bytes32 encumbranceHash, bool answered)
    {
        uint256[] storage active = $.activeLiens[parcelId];
        uint256 n = active.length;
        e.saleId = saleId;
        e.parcelId = parcelId;
        e.lienIds = new uint256[](n);
        e.holders = new bytes32[](n);
        e.amounts = new uint256[](n);
        e.consents = new SaleConsent[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = active[i];
            uint256 j = i;
            while (j > 0 && e.lienIds[j - 1] > id) {
                e.lienIds[j] = e.lienIds[j - 1];
                --j;
            }
            e.lienIds[j] = id;
        }
        answered = true;
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = e.lienIds[i];
            Lien storage lien = $.liens[id];
            e.holders[i] = lien.holder;
            e.amounts[i] = lien.amount;
            SaleConsent consent = $.saleConsents[id][saleId];
            e.consents[i] = consent;
            if (consent == SaleConsent.None) answered = false;
        }
        encumbranceHash = keccak256(abi.encode(saleId, parcelId, e.lienIds, e.holders, e.amounts, e.consents));
    }

    /// @dev The checks every new lien passes, proposed or ordered: `parcelId` is active, the
    /// amount and the document hash are non-zero, the holder is not the parcel's owner and is an
    /// Active identity (CityIdentityNotActive otherwise). Returns the holder's active controller.
    function _checkNewLien(
        LienRegistryStorage storage $,
        uint256 parcelId,
        bytes32 holder,
        uint256 amount,
        bytes32 documentHash
    ) private view returns (address holderController) {
        bytes32 owner = _requireParcelOwner($, parcelId);
        if (amount == 0 || documentHash == bytes32(0) || holder == owner) revert LienInvalid();
        return IdentityGate.activeController($.identities, holder);
    }

    function _requireParcelOwner(LienRegistryStorage storage $, uint256 parcelId) private view returns (bytes32) {
        ITitleRegistry titles = $.titles;
        if (!titles.isActiveParcel(parcelId)) revert LienParcelNotActive(parcelId);
        return titles.ownerIdentityOf(parcelId);
    }

    function _s() private pure returns (LienRegistryStorage storage $) {
        assembly {
            $.slot := LIEN_REGISTRY_STORAGE
        }
    }
}
