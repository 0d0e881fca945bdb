// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {CityManaged} from "../common/CityManaged.sol";
import {ITitleRegistry} from "./ITitleRegistry.sol";
import {IPropertyTax} from "./IPropertyTax.sol";

/// @title PropertyTax
/// @notice Annual property tax per parcel. The tax bureau assesses (amount, due date) per parcel
/// per year; anyone (normally the owner) pays an assessment in the settlement token, straight to
/// the city treasury, optionally with an EIP-2612 permit. An unpaid assessment past its due date
/// is overdue and blocks sales of the parcel in the TitleRegistry. The `TaxPaid` event is the receipt.
/// @dev Rules, in one place:
/// - Assessments: only the tax assessor assesses (one per parcel and year, amount and year
///   non-zero, due date in the future) and voids unpaid ones (appeal, error), both `restricted`.
///   A parcel carries at most `MAX_OPEN_PER_PARCEL` (32) unpaid assessments; the earliest due
///   date of those is cached so `hasOverdue` is O(1) and is recomputed with a loop bounded by
///   that cap.
/// - Payments: anyone pays an assessment in full from its own tokens (allowance or permit),
///   straight to the treasury; the assessment is marked paid before the token moves
///   (checks-effects-interactions) and every paying function is `nonReentrant`.
/// - Overdue: an unpaid assessment past its due date blocks sales of the parcel (TitleRegistry
///   asks `hasOverdue`); any unpaid one blocks splits and merges (`hasUnpaid`). Nothing else
///   follows from it on chain: no interest, no fee.
/// - Stopping (CityManaged's story): a pause (guardian) stops assessing, voiding AND paying.
///   Paying does not continue during a pause: it moves the payer's tokens through this
///   contract to the treasury, and a pause is the stop for exactly such movements when
///   something is wrong (a wrong treasury, a token or permit flaw); it costs the taxpayer no
///   money, because nothing accrues on chain while an assessment is overdue (it only blocks a
///   sale until it is paid after the pause). Closing the module in the AccessManager stops it too.
/// - Upgradeable behind a CityProxy (see CityManaged): all state lives in the ERC-7201
///   namespace `civic.PropertyTax` (plus OpenZeppelin's namespaced reentrancy guard); the title
///   registry, token and treasury are set once, in `initialize`, and never change.
contract PropertyTax is CityManaged, ReentrancyGuardUpgradeable, IPropertyTax {
    using SafeERC20 for IERC20;

    /// @custom:storage-location erc7201:civic.PropertyTax
    struct PropertyTaxStorage {
        ITitleRegistry titles;
        IERC20 token;
        address treasury;
        mapping(uint256 parcelId => mapping(uint16 year => Assessment)) assessments;
        mapping(uint256 parcelId => uint16[]) openYears;
        mapping(uint256 parcelId => uint64) earliestDue;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.PropertyTax")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant PROPERTY_TAX_STORAGE =
        0xa06bede65cda720154e60ed1fdf392f9f61962cd5e0e834c287ba00a86dc1b00;

    /// @notice Most unpaid assessments a parcel may carry (bounds every loop here).
    uint256 public constant MAX_OPEN_PER_PARCEL = 32;

    /// @notice Sets the authority, the title registry, the token and the treasury (once, via the
    /// proxy).
    /// @param initialAuthority The city's AccessManager.
    /// @param titleRegistry_ The TitleRegistry of the assessed parcels.
    /// @param token_ The settlement token (CityToken).
    /// @param treasury_ The city treasury wallet receiving payments.
    function initialize(address initialAuthority, address titleRegistry_, address token_, address treasury_)
        external
        initializer
    {
        if (titleRegistry_ == address(0) || token_ == address(0) || treasury_ == address(0)) revert TaxZeroAddress();
        __CityManaged_init(initialAuthority);
        __ReentrancyGuard_init();
        PropertyTaxStorage storage $ = _s();
        $.titles = ITitleRegistry(titleRegistry_);
        $.token = IERC20(token_);
        $.treasury = treasury_;
    }

    /// @inheritdoc IPropertyTax
    function assess(uint256 parcelId, uint16 year, uint256 amount, uint64 dueDate) external restricted whenNotPaused {
        PropertyTaxStorage storage $ = _s();
        if (!$.titles.isActiveParcel(parcelId)) revert TaxParcelNotActive(parcelId);
        if (year == 0 || amount == 0 || dueDate <= block.timestamp) revert TaxInvalidAssessment();
        Assessment storage a = $.assessments[parcelId][year];
        if (a.state != AssessmentState.None) revert TaxAlreadyAssessed(parcelId, year);
        uint16[] storage open = $.openYears[parcelId];
        if (open.length >= MAX_OPEN_PER_PARCEL) revert TaxTooManyOpen(parcelId);

        a.amount = amount;
        a.dueDate = dueDate;
        a.state = AssessmentState.Open;
        open.push(year);
        uint64 earliest = $.earliestDue[parcelId];
        if (earliest == 0 || dueDate < earliest) $.earliestDue[parcelId] = dueDate;
        emit TaxAssessed(parcelId, year, _msgSender(), amount, dueDate);
    }

    /// @inheritdoc IPropertyTax
    function pay(uint256 parcelId, uint16 year) external whenOpen nonReentrant {
        PropertyTaxStorage storage $ = _s();
        (uint256 amount, address treasury_) = _settle($, parcelId, year);
        $.token.safeTransferFrom(_msgSender(), treasury_, amount);
    }

    /// @inheritdoc IPropertyTax
    function payWithPermit(uint256 parcelId, uint16 year, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenOpen
        nonReentrant
    {
        PropertyTaxStorage storage $ = _s();
        (uint256 amount, address treasury_) = _settle($, parcelId, year);
        IERC20 token_ = $.token;
        try IERC20Permit(address(token_)).permit(_msgSender(), address(this), amount, deadline, v, r, s) {} catch {}
        token_.safeTransferFrom(_msgSender(), treasury_, amount);
    }

    /// @inheritdoc IPropertyTax
    function voidAssessment(uint256 parcelId, uint16 year, bytes32 reasonHash) external restricted whenNotPaused {
        PropertyTaxStorage storage $ = _s();
        Assessment storage a = $.assessments[parcelId][year];
        if (a.state != AssessmentState.Open) revert TaxNotOpen(parcelId, year);
        a.state = AssessmentState.Voided;
        a.settledAt = uint64(block.timestamp);
        _close($, parcelId, year);
        emit TaxVoided(parcelId, year, _msgSender(), reasonHash);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IPropertyTax
    function hasOverdue(uint256 parcelId) external view returns (bool) {
        uint64 earliest = _s().earliestDue[parcelId];
        return earliest != 0 && earliest < block.timestamp;
    }

    /// @inheritdoc IPropertyTax
    function hasUnpaid(uint256 parcelId) external view returns (bool) {
        return _s().openYears[parcelId].length != 0;
    }

    /// @inheritdoc IPropertyTax
    function statusOf(uint256 parcelId, uint16 year) external view returns (TaxStatus) {
        Assessment storage a = _s().assessments[parcelId][year];
        if (a.state == AssessmentState.Open) {
            return a.dueDate < block.timestamp ? TaxStatus.Overdue : TaxStatus.Due;
        }
        if (a.state == AssessmentState.Paid) return TaxStatus.Paid;
        if (a.state == AssessmentState.Voided) return TaxStatus.Voided;
        return TaxStatus.None;
    }

    /// @inheritdoc IPropertyTax
    function assessmentOf(uint256 parcelId, uint16 year) external view returns (Assessment memory) {
        return _s().assessments[parcelId][year];
    }

    /// @inheritdoc IPropertyTax
    function openYearsOf(uint256 parcelId) external view returns (uint16[] memory) {
        return _s().openYears[parcelId];
    }

    /// @inheritdoc IPropertyTax
    function earliestDueOf(uint256 parcelId) external view returns (uint64) {
        return _s().earliestDue[parcelId];
    }

    /// @inheritdoc IPropertyTax
    function token() external view returns (address) {
        return address(_s().token);
    }

    /// @inheritdoc IPropertyTax
    function treasury() external view returns (address) {
        return _s().treasury;
    }

    /// @inheritdoc IPropertyTax
    function titleRegistry() external view returns (address) {
        return address(_s().titles);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Marks the assessment paid and logs it; the caller then moves `amount` to `treasury_`
    /// (checks-effects-interactions: no state is written after the token calls).
    function _settle(PropertyTaxStorage storage $, uint256 parcelId, uint16 year)
        private
        returns (uint256 amount, address treasury_)
    {
        Assessment storage a = $.assessments[parcelId][year];
        if (a.state != AssessmentState.Open) revert TaxNotOpen(parcelId, year);
        amount = a.amount;
        treasury_ = $.treasury;
        a.state = AssessmentState.Paid;
        a.settledAt = uint64(block.timestamp);
        _close($, parcelId, year);
        emit TaxPaid(parcelId, year, _msgSender(), $.titles.ownerIdentityOf(parcelId), amount, treasury_);
    }

    /// @dev Removes `year` from the open list and recomputes the earliest due date (<= 32 items).
    function _close(PropertyTaxStorage storage $, uint256 parcelId, uint16 year) private {
        uint16[] storage open = $.openYears[parcelId];
        uint256 n = open.length;
        uint64 earliest = 0;
        for (uint256 i = 0; i < n;) {
            uint16 y = open[i];
            if (y == year) {
                open[i] = open[n - 1];
                open.pop();
                --n;
                continue; // re-examine the element swapped into slot i
            }
            uint64 due = $.assessments[parcelId][y].dueDate;
            if (earliest == 0 || due < earliest) earliest = due;
            ++i;
        }
        $.earliestDue[parcelId] = earliest;
    }

    function _s() private pure returns (PropertyTaxStorage storage $) {
        assembly {
            $.slot := PROPERTY_TAX_STORAGE
        }
    }
}
