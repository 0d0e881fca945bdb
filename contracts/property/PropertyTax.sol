// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ITitleRegistry} from "./ITitleRegistry.sol";
import {IPropertyTax} from "./IPropertyTax.sol";

/// @title PropertyTax
/// @notice Annual property tax per parcel. The tax bureau assesses (amount, due date) per parcel
/// per year; anyone (normally the owner) pays an assessment in the settlement token, straight to
/// the city treasury, optionally with an EIP-2612 permit. An unpaid assessment past its due date
/// is overdue and blocks sales of the parcel in the TitleRegistry. The `TaxPaid` event is the receipt.
/// @dev A parcel carries at most `MAX_OPEN_PER_PARCEL` unpaid assessments; the earliest due date
/// of those is cached so `hasOverdue` is O(1) and is recomputed with a loop bounded by that cap.
contract PropertyTax is AccessManaged, ReentrancyGuard, IPropertyTax {
    using SafeERC20 for IERC20;

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

    /// @notice Most unpaid assessments a parcel may carry (bounds every loop here).
    uint256 public constant MAX_OPEN_PER_PARCEL = 32;

    ITitleRegistry private immutable _titles;
    IERC20 private immutable _token;
    address private immutable _treasury;

    mapping(uint256 parcelId => mapping(uint16 year => Assessment)) private _assessments;
    mapping(uint256 parcelId => uint16[]) private _openYears;
    mapping(uint256 parcelId => uint64) private _earliestDue;

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
    /// @notice A zero address was given for the token, title registry or treasury.
    error TaxZeroAddress();

    /// @param initialAuthority The city's AccessManager.
    /// @param titleRegistry_ The TitleRegistry of the assessed parcels.
    /// @param token_ The settlement token (CityToken).
    /// @param treasury_ The city treasury wallet receiving payments.
    constructor(address initialAuthority, address titleRegistry_, address token_, address treasury_)
        AccessManaged(initialAuthority)
    {
        if (titleRegistry_ == address(0) || token_ == address(0) || treasury_ == address(0)) revert TaxZeroAddress();
        _titles = ITitleRegistry(titleRegistry_);
        _token = IERC20(token_);
        _treasury = treasury_;
    }

    /// @notice Assesses `parcelId` for `year`: `amount` due by `dueDate` (unix seconds). Tax assessor only.
    function assess(uint256 parcelId, uint16 year, uint256 amount, uint64 dueDate) external restricted {
        if (!_titles.isActiveParcel(parcelId)) revert TaxParcelNotActive(parcelId);
        if (year == 0 || amount == 0 || dueDate <= block.timestamp) revert TaxInvalidAssessment();
        Assessment storage a = _assessments[parcelId][year];
        if (a.state != AssessmentState.None) revert TaxAlreadyAssessed(parcelId, year);
        uint16[] storage open = _openYears[parcelId];
        if (open.length >= MAX_OPEN_PER_PARCEL) revert TaxTooManyOpen(parcelId);

        a.amount = amount;
        a.dueDate = dueDate;
        a.state = AssessmentState.Open;
        _openYears[parcelId].push(year);
        uint64 earliest = _earliestDue[parcelId];
        if (earliest == 0 || dueDate < earliest) _earliestDue[parcelId] = dueDate;
        emit TaxAssessed(parcelId, year, _msgSender(), amount, dueDate);
    }

    /// @notice Pays `parcelId`'s `year` assessment in full from the caller's tokens (needs an
    /// allowance for this contract) to the treasury. Anyone may pay for a parcel.
    function pay(uint256 parcelId, uint16 year) external nonReentrant {
        uint256 amount = _settle(parcelId, year);
        _token.safeTransferFrom(_msgSender(), _treasury, amount);
    }

    /// @notice `pay` with an EIP-2612 permit of the caller for this contract, in one transaction.
    /// @dev A failing permit is ignored (it may have been front-run); the transfer then needs the allowance.
    function payWithPermit(uint256 parcelId, uint16 year, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        uint256 amount = _settle(parcelId, year);
        try IERC20Permit(address(_token)).permit(_msgSender(), address(this), amount, deadline, v, r, s) {} catch {}
        _token.safeTransferFrom(_msgSender(), _treasury, amount);
    }

    /// @notice Voids an unpaid assessment (successful appeal, assessment error). Tax assessor only.
    /// @param reasonHash Content hash of the decision.
    function voidAssessment(uint256 parcelId, uint16 year, bytes32 reasonHash) external restricted {
        Assessment storage a = _assessments[parcelId][year];
        if (a.state != AssessmentState.Open) revert TaxNotOpen(parcelId, year);
        a.state = AssessmentState.Voided;
        a.settledAt = uint64(block.timestamp);
        _close(parcelId, year);
        emit TaxVoided(parcelId, year, _msgSender(), reasonHash);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IPropertyTax
    function hasOverdue(uint256 parcelId) external view returns (bool) {
        uint64 earliest = _earliestDue[parcelId];
        return earliest != 0 && earliest < block.timestamp;
    }

    /// @inheritdoc IPropertyTax
    function hasUnpaid(uint256 parcelId) external view returns (bool) {
        return _openYears[parcelId].length != 0;
    }

    /// @notice Status of `parcelId`'s `year` assessment (Overdue = unpaid and past due).
    function statusOf(uint256 parcelId, uint16 year) external view returns (TaxStatus) {
        Assessment storage a = _assessments[parcelId][year];
        if (a.state == AssessmentState.Open) {
            return a.dueDate < block.timestamp ? TaxStatus.Overdue : TaxStatus.Due;
        }
        if (a.state == AssessmentState.Paid) return TaxStatus.Paid;
        if (a.state == AssessmentState.Voided) return TaxStatus.Voided;
        return TaxStatus.None;
    }

    /// @notice The stored assessment of `parcelId` for `year`.
    function assessmentOf(uint256 parcelId, uint16 year) external view returns (Assessment memory) {
        return _assessments[parcelId][year];
    }

    /// @notice Years with an unpaid assessment of `parcelId` (at most MAX_OPEN_PER_PARCEL).
    function openYearsOf(uint256 parcelId) external view returns (uint16[] memory) {
        return _openYears[parcelId];
    }

    /// @notice Earliest due date among `parcelId`'s unpaid assessments (zero if none).
    function earliestDueOf(uint256 parcelId) external view returns (uint64) {
        return _earliestDue[parcelId];
    }

    /// @notice The settlement token taxes are paid in.
    function token() external view returns (address) {
        return address(_token);
    }

    /// @notice The treasury wallet receiving payments.
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @notice The title registry of the assessed parcels.
    function titleRegistry() external view returns (address) {
        return address(_titles);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Marks the assessment paid and logs it; the caller then moves `amount` to the treasury
    /// (checks-effects-interactions: no state is written after the token calls).
    function _settle(uint256 parcelId, uint16 year) private returns (uint256 amount) {
        Assessment storage a = _assessments[parcelId][year];
        if (a.state != AssessmentState.Open) revert TaxNotOpen(parcelId, year);
        amount = a.amount;
        a.state = AssessmentState.Paid;
        a.settledAt = uint64(block.timestamp);
        _close(parcelId, year);
        emit TaxPaid(parcelId, year, _msgSender(), _titles.ownerIdentityOf(parcelId), amount, _treasury);
    }

    /// @dev Removes `year` from the open list and recomputes the earliest due date (<= 32 items).
    function _close(uint256 parcelId, uint16 year) private {
        uint16[] storage open = _openYears[parcelId];
        uint256 n = open.length;
        uint64 earliest = 0;
        for (uint256 i = 0; i < n;) {
            uint16 y = open[i];
            if (y == year) {
                _openYears[parcelId][i] = open[n - 1];
                _openYears[parcelId].pop();
                --n;
                continue; // re-examine the element swapped into slot i
            }
            uint64 due = _assessments[parcelId][y].dueDate;
            if (earliest == 0 || due < earliest) earliest = due;
            ++i;
        }
        _earliestDue[parcelId] = earliest;
    }
}
