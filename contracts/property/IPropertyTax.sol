// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IPropertyTax
/// @notice Annual property tax per parcel, paid in the settlement token straight to the city
/// treasury. The title registry asks it whether a parcel's tax is unpaid or past due.
interface IPropertyTax {
    // ------------------------------------------------------------------ types

    /// @notice Stored lifecycle of an assessment (Overdue is derived: Open and past due).
    enum AssessmentState {
        None,
        Open,
        Paid,
        Voided
    }

    /// @notice What `statusOf` reports.
    enum TaxStatus {
        None,
        Due,
        Overdue,
        Paid,
        Voided
    }

    /// @notice One year's assessment of one parcel.
    struct Assessment {
        uint256 amount;
        uint64 dueDate;
        uint64 settledAt;
        AssessmentState state;
    }

    // ------------------------------------------------------------------ events
    // One argument order: the object's id(s) (indexed: parcel and year name an assessment), the
    // acting account (`operator`, indexed), then the data.

    /// @notice The tax bureau assessed `parcelId` for `year`.
    event TaxAssessed(
        uint256 indexed parcelId, uint16 indexed year, address indexed operator, uint256 amount, uint64 dueDate
    );

    /// @notice Receipt: `operator` paid `amount` for `parcelId`'s `year` to `treasury`; `owner` is
    /// the owning identity at payment time.
    event TaxPaid(
        uint256 indexed parcelId,
        uint16 indexed year,
        address indexed operator,
        bytes32 owner,
        uint256 amount,
        address treasury
    );

    /// @notice The tax bureau voided an unpaid assessment (appeal, error); `reasonHash` points at the decision.
    event TaxVoided(uint256 indexed parcelId, uint16 indexed year, address indexed operator, bytes32 reasonHash);

    // ------------------------------------------------------------------ errors

    /// @notice A zero address was given for the token, title registry or treasury.
    error TaxZeroAddress();
    /// @notice The parcel is not registered, or was retired by a split or merge.
    error TaxParcelNotActive(uint256 parcelId);
    /// @notice The parcel is already assessed for that year (void the assessment to correct it).
    error TaxAlreadyAssessed(uint256 parcelId, uint16 year);
    /// @notice Amount and year must be non-zero and the due date in the future.
    error TaxInvalidAssessment();
    /// @notice There is no unpaid assessment for that parcel and year (never assessed, paid or voided).
    error TaxNotOpen(uint256 parcelId, uint16 year);
    /// @notice The parcel already has the maximum number of unpaid assessments (32).
    error TaxTooManyOpen(uint256 parcelId);

    // ------------------------------------------------------------------ assessments and payments

    /// @notice Assesses `parcelId` for `year`: `amount` due by `dueDate` (unix seconds). Tax assessor only.
    function assess(uint256 parcelId, uint16 year, uint256 amount, uint64 dueDate) external;

    /// @notice Pays `parcelId`'s `year` assessment in full from the caller's tokens (needs an
    /// allowance for this contract) to the treasury. Anyone may pay for a parcel.
    function pay(uint256 parcelId, uint16 year) external;

    /// @notice `pay` with an EIP-2612 permit of the caller for this contract, in one transaction.
    /// @dev A failing permit is ignored (it may have been front-run); the transfer then needs the allowance.
    function payWithPermit(uint256 parcelId, uint16 year, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external;

    /// @notice Voids an unpaid assessment (successful appeal, assessment error). Tax assessor only.
    /// @param reasonHash Content hash of the decision.
    function voidAssessment(uint256 parcelId, uint16 year, bytes32 reasonHash) external;

    // ------------------------------------------------------------------ views

    /// @notice True when `parcelId` has an unpaid assessment whose due date has passed.
    function hasOverdue(uint256 parcelId) external view returns (bool);

    /// @notice True when `parcelId` has any unpaid (open) assessment, due or not.
    function hasUnpaid(uint256 parcelId) external view returns (bool);

    /// @notice Status of `parcelId`'s `year` assessment (Overdue = unpaid and past due).
    function statusOf(uint256 parcelId, uint16 year) external view returns (TaxStatus);

    /// @notice The stored assessment of `parcelId` for `year`.
    function assessmentOf(uint256 parcelId, uint16 year) external view returns (Assessment memory);

    /// @notice Years with an unpaid assessment of `parcelId` (at most MAX_OPEN_PER_PARCEL).
    function openYearsOf(uint256 parcelId) external view returns (uint16[] memory);

    /// @notice Earliest due date among `parcelId`'s unpaid assessments (zero if none).
    function earliestDueOf(uint256 parcelId) external view returns (uint64);

    /// @notice The settlement token taxes are paid in.
    function token() external view returns (address);

    /// @notice The treasury wallet receiving payments.
    function treasury() external view returns (address);

    /// @notice The title registry of the assessed parcels.
    function titleRegistry() external view returns (address);
}
