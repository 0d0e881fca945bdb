// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
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
///   Active (a suspended lender's key can neither release nor answer).
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
contract LienRegistry is AccessManaged, ILienRegistry {
    /// @notice Lifecycle of a lien.
    enum LienState {
        None,
        Proposed,
        Active,
        Released,
        Withdrawn
    }

    /// @notice A lienholder's answer to a sale.
    enum SaleConsent {
        None,
        KeepLien,
        DischargeAtClosing
    }

    /// @notice A lien as stored.
    struct Lien {
        uint256 parcelId;
        bytes32 holder;
        uint256 amount;
        bytes32 evidenceHash;
        uint64 createdAt;
        LienState state;
        bool byOrder;
    }

    /// @notice What a buyer accepts (see `saleEncumbranceHash`): the parcel's unreleased liens,
    /// sorted by id, and each holder's answer to the sale.
    struct SaleEncumbrance {
        uint256 saleId;
        uint256 parcelId;
        uint256[] lienIds;
        bytes32[] holders;
        uint256[] amounts;
        SaleConsent[] consents;
    }

    /// @notice Most unreleased voluntary (owner-consented) liens one parcel can carry.
    uint256 public constant MAX_LIENS_PER_PARCEL = 8;
    /// @notice Most unreleased court-ordered liens one parcel can carry (voluntary liens never
    /// count against it).
    uint256 public constant MAX_ORDERED_LIENS_PER_PARCEL = 8;

    ITitleRegistry private immutable _titles;
    IIdentityRegistry private immutable _identities;

    mapping(uint256 lienId => Lien) private _liens;
    mapping(uint256 parcelId => uint256[]) private _activeLiens;
    mapping(uint256 lienId => mapping(uint256 saleId => SaleConsent)) private _saleConsents;
    uint256 private _lienCount;

    /// @notice Lender `holder` proposed lien `lienId` on `parcelId`; it needs the owner's consent.
    event LienProposed(
        uint256 indexed lienId,
        uint256 indexed parcelId,
        address indexed operator,
        bytes32 holder,
        uint256 amount,
        bytes32 evidenceHash
    );
    /// @notice Lien `lienId` became effective (owner consent, or registrar order when `byOrder`).
    event LienRecorded(
        uint256 indexed lienId,
        uint256 indexed parcelId,
        address indexed operator,
        bytes32 holder,
        uint256 amount,
        bool byOrder
    );
    /// @notice A proposed lien was withdrawn by the lender or declined by the owner.
    event LienWithdrawn(uint256 indexed lienId, uint256 indexed parcelId, address indexed operator);
    /// @notice Lien `lienId` was released: by its holder, by court order (`orderHash` set), or
    /// discharged at the closing of sale `saleId`.
    event LienReleased(
        uint256 indexed lienId, uint256 indexed parcelId, address indexed operator, bytes32 orderHash, uint256 saleId
    );
    /// @notice The holder of `lienId` answered sale `saleId` (None = consent withdrawn).
    event LienSaleConsentSet(
        uint256 indexed lienId, uint256 indexed saleId, address indexed operator, SaleConsent consent
    );

    /// @notice The lien is not in the state this step needs (state 1 proposed, 2 active, 3 released, 4 withdrawn).
    error LienWrongState(uint256 lienId, LienState state);
    /// @notice This account may not do this: the lender proposes, the owner consents, the holder releases and answers sales (each an active identity's controller).
    error LienUnauthorized(uint256 lienId, address caller);
    /// @notice The parcel is not registered, or was retired by a split or merge.
    error LienParcelNotActive(uint256 parcelId);
    /// @notice The identity is not registered or not active (suspended or closed).
    error LienIdentityNotActive(bytes32 subject);
    /// @notice A lien needs a non-zero amount and evidence hash, and a holder other than the owner.
    error LienInvalid();
    /// @notice The parcel already carries the maximum number of unreleased voluntary liens (8); court orders have their own cap.
    error LienTooManyLiens(uint256 parcelId);
    /// @notice The parcel already carries the maximum number of unreleased court-ordered liens (8).
    error LienTooManyOrderedLiens(uint256 parcelId);
    /// @notice The buyer accepted sale `saleId` of this parcel: answers to it and new voluntary liens are frozen until it closes (ask the registrar to reject the sale, or a party to cancel it).
    error LienSaleAccepted(uint256 parcelId, uint256 saleId);
    /// @notice The sale is not an open sale of the lien's parcel.
    error LienSaleMismatch(uint256 lienId, uint256 saleId);
    /// @notice Only the title registry may call this.
    error LienOnlyTitleRegistry(address caller);

    /// @param initialAuthority The city's AccessManager.
    /// @param titleRegistry_ The TitleRegistry whose parcels carry the liens.
    /// @param identityRegistry_ The IdentityRegistry parties are looked up in.
    constructor(address initialAuthority, address titleRegistry_, address identityRegistry_)
        AccessManaged(initialAuthority)
    {
        _titles = ITitleRegistry(titleRegistry_);
        _identities = IIdentityRegistry(identityRegistry_);
    }

    /// @notice The lender (controller of identity `holder`) proposes a lien on `parcelId`.
    /// @param amount Secured amount in settlement-token units.
    /// @param evidenceHash Content hash of the loan/mortgage agreement.
    /// @return lienId The new lien's id; effective once the owner calls `consentLien`.
    function proposeLien(uint256 parcelId, bytes32 holder, uint256 amount, bytes32 evidenceHash)
        external
        returns (uint256 lienId)
    {
        bytes32 owner = _requireParcelOwner(parcelId);
        if (amount == 0 || evidenceHash == bytes32(0) || holder == owner) revert LienInvalid();
        if (_activeController(holder) != _msgSender()) revert LienUnauthorized(0, _msgSender());
        lienId = _newLien(parcelId, holder, amount, evidenceHash, LienState.Proposed, false);
        emit LienProposed(lienId, parcelId, _msgSender(), holder, amount, evidenceHash);
    }

    /// @notice The parcel owner (controller of the owning identity) consents to proposed lien
    /// `lienId`. Refused while the buyer has accepted a sale of the parcel.
    function consentLien(uint256 lienId) external {
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Proposed) revert LienWrongState(lienId, lien.state);
        uint256 parcelId = lien.parcelId;
        bytes32 owner = _requireParcelOwner(parcelId);
        if (_activeController(owner) != _msgSender()) revert LienUnauthorized(lienId, _msgSender());
        uint256 accepted = _titles.acceptedSaleOf(parcelId);
        if (accepted != 0) revert LienSaleAccepted(parcelId, accepted);
        _activate(lienId, lien);
        emit LienRecorded(lienId, parcelId, _msgSender(), lien.holder, lien.amount, false);
    }

    /// @notice The lender withdraws, or the owner declines, proposed lien `lienId`.
    function withdrawLien(uint256 lienId) external {
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Proposed) revert LienWrongState(lienId, lien.state);
        address caller = _msgSender();
        if (
            caller != _identities.activeControllerOf(lien.holder)
                && caller != _identities.activeControllerOf(_titles.ownerIdentityOf(lien.parcelId))
        ) revert LienUnauthorized(lienId, caller);
        lien.state = LienState.Withdrawn;
        emit LienWithdrawn(lienId, lien.parcelId, caller);
    }

    /// @notice The registrar records a lien by court/registrar order, without the owner's consent.
    /// Allowed while a sale of the parcel is accepted: it voids that acceptance. Registrar only.
    /// @param orderHash Content hash of the order.
    function recordLienByOrder(uint256 parcelId, bytes32 holder, uint256 amount, bytes32 orderHash)
        external
        restricted
        returns (uint256 lienId)
    {
        bytes32 owner = _requireParcelOwner(parcelId);
        if (amount == 0 || orderHash == bytes32(0) || holder == owner) revert LienInvalid();
        _activeController(holder);
        lienId = _newLien(parcelId, holder, amount, orderHash, LienState.Proposed, true);
        Lien storage lien = _liens[lienId];
        _activate(lienId, lien);
        emit LienRecorded(lienId, parcelId, _msgSender(), holder, amount, true);
        _titles.onEncumbranceChanged(parcelId, _msgSender());
    }

    /// @notice The holder releases active lien `lienId` (e.g. loan repaid). Voids an accepted
    /// sale of the parcel (the buyer accepts the new state again).
    function releaseLien(uint256 lienId) external {
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if (_identities.activeControllerOf(lien.holder) != _msgSender()) revert LienUnauthorized(lienId, _msgSender());
        _release(lienId, lien);
        emit LienReleased(lienId, lien.parcelId, _msgSender(), bytes32(0), 0);
        _titles.onEncumbranceChanged(lien.parcelId, _msgSender());
    }

    /// @notice The registrar records a court-ordered release of active lien `lienId`. Voids an
    /// accepted sale of the parcel. Registrar only.
    /// @param orderHash Content hash of the court order.
    function orderRelease(uint256 lienId, bytes32 orderHash) external restricted {
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if (orderHash == bytes32(0)) revert LienInvalid();
        _release(lienId, lien);
        emit LienReleased(lienId, lien.parcelId, _msgSender(), orderHash, 0);
        _titles.onEncumbranceChanged(lien.parcelId, _msgSender());
    }

    /// @notice The holder of active lien `lienId` answers proposed sale `saleId` of its parcel
    /// (and may change its answer until the buyer accepts; then it binds).
    /// @param dischargeAtClosing True: the lien is released when the sale closes (paid from the
    /// proceeds). False: the lien stays on the parcel under the new owner.
    function consentToSale(uint256 lienId, uint256 saleId, bool dischargeAtClosing) external {
        _setSaleConsent(lienId, saleId, dischargeAtClosing ? SaleConsent.DischargeAtClosing : SaleConsent.KeepLien);
    }

    /// @notice The holder of active lien `lienId` withdraws its answer to proposed sale `saleId`
    /// (refused once the buyer accepted it).
    function withdrawSaleConsent(uint256 lienId, uint256 saleId) external {
        _setSaleConsent(lienId, saleId, SaleConsent.None);
    }

    /// @inheritdoc ILienRegistry
    function onSaleClosed(uint256 parcelId, uint256 saleId) external {
        if (_msgSender() != address(_titles)) revert LienOnlyTitleRegistry(_msgSender());
        uint256[] storage active = _activeLiens[parcelId];
        // Walk backwards: `_release` swap-removes from `active`. At most 16 liens.
        for (uint256 i = active.length; i > 0; --i) {
            uint256 lienId = active[i - 1];
            if (_saleConsents[lienId][saleId] == SaleConsent.DischargeAtClosing) {
                Lien storage lien = _liens[lienId];
                _release(lienId, lien);
                emit LienReleased(lienId, parcelId, _msgSender(), bytes32(0), saleId);
            }
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILienRegistry
    function hasActiveLiens(uint256 parcelId) external view returns (bool) {
        return _activeLiens[parcelId].length != 0;
    }

    /// @inheritdoc ILienRegistry
    function saleCleared(uint256 parcelId, uint256 saleId) external view returns (bool) {
        uint256[] storage active = _activeLiens[parcelId];
        for (uint256 i = 0; i < active.length; ++i) {
            if (_saleConsents[active[i]][saleId] == SaleConsent.None) return false;
        }
        return true;
    }

    /// @notice The hash a buyer passes to `TitleRegistry.acceptSale(saleId, hash)`: it commits to
    /// the current unreleased liens on the sale's parcel and each holder's answer to the sale.
    /// @dev Integrators recompute it as
    /// `keccak256(abi.encode(saleId, parcelId, lienIds, holders, amounts, consents))` with
    /// `saleId`, `parcelId` as uint256; `lienIds` (uint256[]) the ids of the parcel's unreleased
    /// liens in ascending order; `holders` (bytes32[]), `amounts` (uint256[]) and `consents`
    /// (uint8[]: 0 None, 1 KeepLien, 2 DischargeAtClosing) of those liens, in the same order
    /// (all arrays empty when the parcel is unencumbered). `parcelId` is the sale's parcel (zero
    /// for an unknown sale). `saleEncumbrance` returns the same inputs.
    function saleEncumbranceHash(uint256 saleId) external view returns (bytes32 encumbranceHash) {
        (, encumbranceHash,) = _encumbrance(_titles.saleParcelOf(saleId), saleId);
    }

    /// @notice The encumbrance of sale `saleId` as a client shows it to the buyer: the parcel's
    /// unreleased liens (sorted by id) with each answer, its hash (`saleEncumbranceHash`) and
    /// whether every lien has answered (needed before the buyer can accept).
    function saleEncumbrance(uint256 saleId)
        external
        view
        returns (SaleEncumbrance memory encumbrance, bytes32 encumbranceHash, bool answered)
    {
        return _encumbrance(_titles.saleParcelOf(saleId), saleId);
    }

    /// @inheritdoc ILienRegistry
    function saleEncumbranceOf(uint256 parcelId, uint256 saleId)
        external
        view
        returns (bytes32 encumbranceHash, bool answered)
    {
        (, encumbranceHash, answered) = _encumbrance(parcelId, saleId);
    }

    /// @notice Ids of the unreleased liens on `parcelId` (at most 16: 8 voluntary, 8 court-ordered).
    function activeLiensOf(uint256 parcelId) external view returns (uint256[] memory) {
        return _activeLiens[parcelId];
    }

    /// @notice Lien `lienId` (state None when unknown).
    function lienOf(uint256 lienId) external view returns (Lien memory) {
        return _liens[lienId];
    }

    /// @notice The answer of the holder of `lienId` to sale `saleId`.
    function saleConsentOf(uint256 lienId, uint256 saleId) external view returns (SaleConsent) {
        return _saleConsents[lienId][saleId];
    }

    /// @notice Number of liens ever proposed or recorded (ids are 1..lienCount).
    function lienCount() external view returns (uint256) {
        return _lienCount;
    }

    /// @inheritdoc ILienRegistry
    function titleRegistry() external view returns (address) {
        return address(_titles);
    }

    // ------------------------------------------------------------------ internals

    function _newLien(
        uint256 parcelId,
        bytes32 holder,
        uint256 amount,
        bytes32 evidenceHash,
        LienState state,
        bool byOrder
    ) private returns (uint256 lienId) {
        lienId = ++_lienCount;
        _liens[lienId] = Lien({
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
    function _activate(uint256 lienId, Lien storage lien) private {
        uint256 parcelId = lien.parcelId;
        uint256[] storage active = _activeLiens[parcelId];
        uint256 n = active.length;
        uint256 ordered = 0;
        for (uint256 i = 0; i < n; ++i) {
            if (_liens[active[i]].byOrder) ++ordered;
        }
        if (lien.byOrder) {
            if (ordered >= MAX_ORDERED_LIENS_PER_PARCEL) revert LienTooManyOrderedLiens(parcelId);
        } else if (n - ordered >= MAX_LIENS_PER_PARCEL) {
            revert LienTooManyLiens(parcelId);
        }
        lien.state = LienState.Active;
        _activeLiens[parcelId].push(lienId);
    }

    function _release(uint256 lienId, Lien storage lien) private {
        lien.state = LienState.Released;
        uint256[] storage active = _activeLiens[lien.parcelId];
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
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if (_identities.activeControllerOf(lien.holder) != _msgSender()) revert LienUnauthorized(lienId, _msgSender());
        (uint256 parcelId, bool open, bool accepted) = _titles.saleStatusOf(saleId);
        if (parcelId != lien.parcelId || !open) revert LienSaleMismatch(lienId, saleId);
        if (accepted) revert LienSaleAccepted(parcelId, saleId);
        _saleConsents[lienId][saleId] = consent;
        emit LienSaleConsentSet(lienId, saleId, _msgSender(), consent);
    }

    /// @dev The encumbrance of sale `saleId` of `parcelId` (see `saleEncumbranceHash`); at most
    /// 16 liens: sorted by id with an insertion sort in memory.
    function _encumbrance(uint256 parcelId, uint256 saleId)
        private
        view
        returns (SaleEncumbrance memory e, bytes32 encumbranceHash, bool answered)
    {
        uint256[] storage active = _activeLiens[parcelId];
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
            Lien storage lien = _liens[id];
            e.holders[i] = lien.holder;
            e.amounts[i] = lien.amount;
            SaleConsent consent = _saleConsents[id][saleId];
            e.consents[i] = consent;
            if (consent == SaleConsent.None) answered = false;
        }
        encumbranceHash = keccak256(abi.encode(saleId, parcelId, e.lienIds, e.holders, e.amounts, e.consents));
    }

    function _requireParcelOwner(uint256 parcelId) private view returns (bytes32) {
        if (!_titles.isActiveParcel(parcelId)) revert LienParcelNotActive(parcelId);
        return _titles.ownerIdentityOf(parcelId);
    }

    function _activeController(bytes32 subject) private view returns (address controller) {
        controller = _identities.activeControllerOf(subject);
        if (controller == address(0)) revert LienIdentityNotActive(subject);
    }
}
