// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ILienRegistry
/// @notice Liens (mortgages, charges) on the parcels of the title registry: proposed by a lender
/// and consented to by the owner, or recorded by court order; answered per sale (keep, or
/// discharge at closing). The title registry asks it before and when a title moves.
interface ILienRegistry {
    // ------------------------------------------------------------------ types

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

    // ------------------------------------------------------------------ events
    // One argument order: the object's id(s) (indexed), the acting account (`operator`,
    // indexed), then the data.

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

    // ------------------------------------------------------------------ errors

    /// @notice The lien is not in the state this step needs (state 1 proposed, 2 active, 3 released, 4 withdrawn).
    error LienWrongState(uint256 lienId, LienState state);
    /// @notice This account may not do this: the lender proposes, the owner consents, the holder releases and answers sales (each an active identity's controller).
    error LienUnauthorized(uint256 lienId, address caller);
    /// @notice The parcel is not registered, or was retired by a split or merge.
    error LienParcelNotActive(uint256 parcelId);
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

    // ------------------------------------------------------------------ liens

    /// @notice The lender (controller of identity `holder`) proposes a lien on `parcelId`.
    /// @param amount Secured amount in settlement-token units.
    /// @param evidenceHash Content hash of the loan/mortgage agreement.
    /// @return lienId The new lien's id; effective once the owner calls `consentLien`.
    function proposeLien(uint256 parcelId, bytes32 holder, uint256 amount, bytes32 evidenceHash)
        external
        returns (uint256 lienId);

    /// @notice The parcel owner (controller of the owning identity) consents to proposed lien
    /// `lienId`. Refused while the buyer has accepted a sale of the parcel.
    function consentLien(uint256 lienId) external;

    /// @notice The lender withdraws, or the owner declines, proposed lien `lienId`.
    function withdrawLien(uint256 lienId) external;

    /// @notice The registrar records a lien by court/registrar order, without the owner's consent.
    /// Allowed while a sale of the parcel is accepted: it voids that acceptance. Registrar only.
    /// @param orderHash Content hash of the order.
    function recordLienByOrder(uint256 parcelId, bytes32 holder, uint256 amount, bytes32 orderHash)
        external
        returns (uint256 lienId);

    /// @notice The holder releases active lien `lienId` (e.g. loan repaid). Voids an accepted
    /// sale of the parcel (the buyer accepts the new state again).
    function releaseLien(uint256 lienId) external;

    /// @notice The registrar records a court-ordered release of active lien `lienId`. Voids an
    /// accepted sale of the parcel. Registrar only.
    /// @param orderHash Content hash of the court order.
    function orderRelease(uint256 lienId, bytes32 orderHash) external;

    // ------------------------------------------------------------------ sales

    /// @notice The holder of active lien `lienId` answers proposed sale `saleId` of its parcel
    /// (and may change its answer until the buyer accepts; then it binds).
    /// @param dischargeAtClosing True: the lien is released when the sale closes (paid from the
    /// proceeds). False: the lien stays on the parcel under the new owner.
    function consentToSale(uint256 lienId, uint256 saleId, bool dischargeAtClosing) external;

    /// @notice The holder of active lien `lienId` withdraws its answer to proposed sale `saleId`
    /// (refused once the buyer accepted it).
    function withdrawSaleConsent(uint256 lienId, uint256 saleId) external;

    /// @notice Called by the title registry when sale `saleId` closes: releases the liens whose
    /// holders consented to be discharged at closing. Only the title registry may call it.
    function onSaleClosed(uint256 parcelId, uint256 saleId) external;

    // ------------------------------------------------------------------ views

    /// @notice True when `parcelId` carries at least one unreleased lien.
    function hasActiveLiens(uint256 parcelId) external view returns (bool);

    /// @notice True when every unreleased lien on `parcelId` has answered sale `saleId`.
    function saleCleared(uint256 parcelId, uint256 saleId) external view returns (bool);

    /// @notice The hash a buyer passes to `TitleRegistry.acceptSale(saleId, hash)`: it commits to
    /// the current unreleased liens on the sale's parcel and each holder's answer to the sale.
    /// @dev Integrators recompute it as
    /// `keccak256(abi.encode(saleId, parcelId, lienIds, holders, amounts, consents))` with
    /// `saleId`, `parcelId` as uint256; `lienIds` (uint256[]) the ids of the parcel's unreleased
    /// liens in ascending order; `holders` (bytes32[]), `amounts` (uint256[]) and `consents`
    /// (uint8[]: 0 None, 1 KeepLien, 2 DischargeAtClosing) of those liens, in the same order
    /// (all arrays empty when the parcel is unencumbered). `parcelId` is the sale's parcel (zero
    /// for an unknown sale). `saleEncumbrance` returns the same inputs.
    function saleEncumbranceHash(uint256 saleId) external view returns (bytes32 encumbranceHash);

    /// @notice The encumbrance of sale `saleId` as a client shows it to the buyer: the parcel's
    /// unreleased liens (sorted by id) with each answer, its hash (`saleEncumbranceHash`) and
    /// whether every lien has answered (needed before the buyer can accept).
    function saleEncumbrance(uint256 saleId)
        external
        view
        returns (SaleEncumbrance memory encumbrance, bytes32 encumbranceHash, bool answered);

    /// @notice The encumbrance hash of sale `saleId` of `parcelId` (formula:
    /// `saleEncumbranceHash`) and whether every unreleased lien has answered it.
    /// @dev The title registry passes the sale's own parcel; the hash commits to it.
    function saleEncumbranceOf(uint256 parcelId, uint256 saleId)
        external
        view
        returns (bytes32 encumbranceHash, bool answered);

    /// @notice Ids of the unreleased liens on `parcelId` (at most 16: 8 voluntary, 8 court-ordered).
    function activeLiensOf(uint256 parcelId) external view returns (uint256[] memory);

    /// @notice Lien `lienId` (state None when unknown).
    function lienOf(uint256 lienId) external view returns (Lien memory);

    /// @notice The answer of the holder of `lienId` to sale `saleId`.
    function saleConsentOf(uint256 lienId, uint256 saleId) external view returns (SaleConsent);

    /// @notice Number of liens ever proposed or recorded (ids are 1..lienCount).
    function lienCount() external view returns (uint256);

    /// @notice The title registry whose parcels carry the liens.
    function titleRegistry() external view returns (address);

    /// @notice The identity registry the parties are looked up in.
    function identityRegistry() external view returns (address);
}
