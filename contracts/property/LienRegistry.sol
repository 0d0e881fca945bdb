// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ITitleRegistry} from "./ITitleRegistry.sol";
import {ILienRegistry} from "./ILienRegistry.sol";

/// @title LienRegistry
/// @notice Liens (mortgages, charges) on land parcels of the TitleRegistry. A lender identity
/// proposes a lien and the parcel owner consents, or the registrar records one by court order.
/// While a lien is unreleased, a sale of the parcel needs the lienholder's consent to that sale;
/// the holder chooses whether the lien is discharged at closing (paid off from the proceeds) or
/// runs with the land. The holder releases a lien; the registrar records court-ordered releases.
/// @dev Every party acts through its identity's controller wallet. A parcel carries at most
/// `MAX_LIENS_PER_PARCEL` unreleased liens, which bounds every loop here.
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

    /// @notice Most unreleased liens one parcel can carry.
    uint256 public constant MAX_LIENS_PER_PARCEL = 8;

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
    /// @notice The parcel already carries the maximum number of unreleased liens (8).
    error LienTooManyLiens(uint256 parcelId);
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

    /// @notice The parcel owner (controller of the owning identity) consents to proposed lien `lienId`.
    function consentLien(uint256 lienId) external {
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Proposed) revert LienWrongState(lienId, lien.state);
        bytes32 owner = _requireParcelOwner(lien.parcelId);
        if (_activeController(owner) != _msgSender()) revert LienUnauthorized(lienId, _msgSender());
        _activate(lienId, lien);
        emit LienRecorded(lienId, lien.parcelId, _msgSender(), lien.holder, lien.amount, false);
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
    /// Registrar only.
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
    }

    /// @notice The holder releases active lien `lienId` (e.g. loan repaid).
    function releaseLien(uint256 lienId) external {
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if (_identities.activeControllerOf(lien.holder) != _msgSender()) revert LienUnauthorized(lienId, _msgSender());
        _release(lienId, lien);
        emit LienReleased(lienId, lien.parcelId, _msgSender(), bytes32(0), 0);
    }

    /// @notice The registrar records a court-ordered release of active lien `lienId`. Registrar only.
    /// @param orderHash Content hash of the court order.
    function orderRelease(uint256 lienId, bytes32 orderHash) external restricted {
        Lien storage lien = _liens[lienId];
        if (lien.state != LienState.Active) revert LienWrongState(lienId, lien.state);
        if (orderHash == bytes32(0)) revert LienInvalid();
        _release(lienId, lien);
        emit LienReleased(lienId, lien.parcelId, _msgSender(), orderHash, 0);
    }

    /// @notice The holder of active lien `lienId` consents to open sale `saleId` of its parcel.
    /// @param dischargeAtClosing True: the lien is released when the sale closes (paid from the
    /// proceeds). False: the lien stays on the parcel under the new owner.
    function consentToSale(uint256 lienId, uint256 saleId, bool dischargeAtClosing) external {
        _setSaleConsent(lienId, saleId, dischargeAtClosing ? SaleConsent.DischargeAtClosing : SaleConsent.KeepLien);
    }

    /// @notice The holder of active lien `lienId` withdraws its consent to open sale `saleId`.
    function withdrawSaleConsent(uint256 lienId, uint256 saleId) external {
        _setSaleConsent(lienId, saleId, SaleConsent.None);
    }

    /// @inheritdoc ILienRegistry
    function onSaleClosed(uint256 parcelId, uint256 saleId) external {
        if (_msgSender() != address(_titles)) revert LienOnlyTitleRegistry(_msgSender());
        uint256[] storage active = _activeLiens[parcelId];
        // Walk backwards: `_release` swap-removes from `active`. At most MAX_LIENS_PER_PARCEL.
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

    /// @notice Ids of the unreleased liens on `parcelId` (at most MAX_LIENS_PER_PARCEL).
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

    /// @notice The title registry whose parcels carry the liens.
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

    function _activate(uint256 lienId, Lien storage lien) private {
        uint256[] storage active = _activeLiens[lien.parcelId];
        if (active.length >= MAX_LIENS_PER_PARCEL) revert LienTooManyLiens(lien.parcelId);
        lien.state = LienState.Active;
        _activeLiens[lien.parcelId].push(lienId);
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
        if (_titles.saleParcelOf(saleId) != lien.parcelId || !_titles.isSaleOpen(saleId)) {
            revert LienSaleMismatch(lienId, saleId);
        }
        _saleConsents[lienId][saleId] = consent;
        emit LienSaleConsentSet(lienId, saleId, _msgSender(), consent);
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
