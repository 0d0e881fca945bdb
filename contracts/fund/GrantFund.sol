// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {CityRoles} from "../access/CityRoles.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {IRecordRegistry} from "../identity/IRecordRegistry.sol";
import {IGrantFund} from "./IGrantFund.sol";

/// @title GrantFund
/// @notice The city's grant fund, run in the open: rounds are funded in CityToken, enterprises
/// meeting a record-registry policy apply, the fund committee decides M-of-N, and money leaves
/// only as milestone payments, rent-subsidy months or unspent budget returned to the treasury.
///
/// @dev Rules, in one place:
/// - Budget: a round declares a `budget` that caps deposits; awards are limited to what was
///   actually deposited and not yet committed (`available = deposited − committed − returned`),
///   so every award is backed by tokens held, and `committed <= deposited <= budget` always.
/// - Eligibility: the applicant (and, at every payout, the grantee) must be an Active Enterprise
///   identity meeting the round's policy; payouts go to the identity's CURRENT controller.
/// - Committee: a voter must hold FUND_COMMITTEE now with no execution delay (checked on the
///   authority per vote) and control an Active registered identity (`subjectOf(voter)`; a bare
///   wallet holding the role may not vote), may vote once per question, and may not vote on an
///   application or award of its own identity nor of any identity declared conflicted with it
///   in the register of interests. Conflicts are judged by identity, never by wallet, so moving
///   an enterprise to another wallet changes nothing. The register: the fund manager records or
///   clears conflicts (`setConflict`); a member may recuse itself (`declareConflict`) and cannot
///   undo that itself. Votes count as cast: revoking a member later does not remove votes
///   already cast. M (`threshold`) is at least 2: no single member decides.
/// - Thresholds are snapshotted per question when its ballot opens and used for every decision
///   on it: an application at its submission, a milestone ballot at each milestone submission,
///   a clawback ballot at its first vote. Changing M (`setCommittee`) affects only ballots
///   opened afterwards.
/// - Applications: one per enterprise per round; decided by M yes (Approved) or M no (Rejected)
///   before the decision deadline; `award` (anyone) turns an Approved application into an award
///   before the deadline, if the round has the money. Undecided/unawarded ones lapse (Expired).
/// - Leases: a rent application names its lease by content hash (`leaseHash`, non-zero). A
///   lease backs at most ONE live rent application or active rent award at a time, across all
///   rounds, so subsidised periods never overlap: reserved from application until the
///   application is rejected or lapses (not awarded by the deadline, or its round closed), or
///   the award ends (completed or clawed back). A second application with a reserved lease
///   reverts (GrantFundLeaseInUse). A squatted lease is freed by the committee rejecting the
///   squatting application.
/// - Milestones (research/project): the grantee's current controller submits evidence by the due
///   date; M yes approve and pay at once (deferred if paused or the grantee is ineligible: anyone
///   calls `payMilestone` later); M no reject, and a rejected evidence hash can never be
///   resubmitted for that milestone (Allo #71). State is updated before any transfer and every
///   transferring function is `nonReentrant` (Allo #357).
/// - Rent: month `i` of an award covers [awardedAt + i * MONTH, awardedAt + (i + 1) * MONTH).
///   Rent for month `i` is owed only if the grantee was eligible (`isEligible`: an Active
///   enterprise meeting the round's policy) at an eligibility check-in during that month.
///   Anyone checks in (`recordRentEligibility`; refused when the grantee is not eligible now or
///   the term has ended), also while the fund is paused; `award` checks month 0 in and
///   `payRent` checks the current month in when the grantee is eligible. `payRent` (anyone)
///   then settles months in order from `monthsSettled`: a checked-in month is PAID to the
///   identity's active controller (if the identity is not Active now, e.g. suspended after a
///   stolen key, the payment waits: nothing is forfeited and settlement stops there); a month
///   whose window has ENDED without a check-in is FORFEITED (released to the round, event
///   `RentPaymentSkipped`); the current month without a check-in stays pending. So no third
///   party can make a firm forfeit a month in which it was eligible at a check-in, and no month
///   is paid for which nobody observed eligibility. At most MAX_RENT_MONTHS months per call.
/// - Clawback: M committee votes end an award; its unpaid remainder (including approved but
///   unpaid milestones) is released to the round. Paid amounts are untouched.
/// - Close: after the decision deadline the fund manager closes a round: unspent (deposited and
///   not committed) goes to the treasury. Awards stay payable after close; money released later
///   (forfeits, clawbacks) goes to the treasury through `sweep` (anyone).
/// - Pause (guardian) stops every outflow: milestone and rent payments, close and sweep.
///   Deposits, applications, votes, awards, clawbacks and rent check-ins continue (none moves
///   tokens out; check-ins keep months from being forfeited because of the pause).
/// - Conservation: token.balanceOf(this) == totalDeposited − totalPaid − totalReturned (tokens
///   sent to the fund without `fundRound` are not accounted and stay locked).
contract GrantFund is IGrantFund, AccessManaged, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Length of a rent month.
    uint64 public constant MONTH = 30 days;
    /// @notice Most milestones per grant (bounds the application loop).
    uint256 public constant MAX_MILESTONES = 12;
    /// @notice Longest rent subsidy (its check-ins fit the 64-bit `Award.rentCheckIns`).
    uint16 public constant MAX_RENT_MONTHS = 60;
    /// @notice Largest declared committee; bounds every ballot's voter lists (each < threshold).
    uint32 public constant MAX_COMMITTEE_SIZE = 16;
    /// @notice Most applications per round (bounds `applicationsOf`).
    uint256 public constant MAX_APPLICATIONS_PER_ROUND = 1000;

    /// @dev Votes on one question. Each list stays below `threshold` until the decision, so it
    /// holds at most MAX_COMMITTEE_SIZE addresses.
    struct Ballot {
        address[] approvals;
        address[] rejections;
    }

    IERC20 private immutable _token;
    IIdentityRegistry private immutable _identity;
    IRecordRegistry private immutable _records;
    address private _treasury;
    uint32 private _threshold;
    uint32 private _committeeSize;

    uint256 private _totalDeposited;
    uint256 private _totalPaid;
    uint256 private _totalReturned;

    uint256 private _roundCount;
    uint256 private _applicationCount;

    mapping(uint256 roundId => Round) private _rounds;
    mapping(uint256 roundId => uint256[] appIds) private _roundApplications;
    mapping(uint256 roundId => mapping(bytes32 subject => bool)) private _hasApplied;
    mapping(uint256 appId => Application) private _applications;
    mapping(uint256 appId => Award) private _awards;
    mapping(uint256 appId => Milestone[]) private _milestones;
    mapping(uint256 appId => mapping(uint256 index => mapping(bytes32 evidenceHash => bool))) private _rejectedEvidence;
    mapping(bytes32 ballotId => Ballot) private _ballots;
    mapping(bytes32 leaseHash => uint256 appId) private _leaseHolders;
    mapping(bytes32 memberSubject => mapping(bytes32 subject => bool)) private _conflicts;

    /// @param initialAuthority The city's AccessManager.
    /// @param cityToken The settlement token grants are paid in.
    /// @param identityRegistry_ Identity registry (applicant identities, kinds, controllers).
    /// @param recordRegistry_ Record registry (eligibility policies).
    /// @param treasury_ Wallet receiving unspent budgets.
    /// @param threshold_ Committee votes needed per decision (M).
    /// @param committeeSize_ Declared committee size (N).
    constructor(
        address initialAuthority,
        address cityToken,
        address identityRegistry_,
        address recordRegistry_,
        address treasury_,
        uint32 threshold_,
        uint32 committeeSize_
    ) AccessManaged(initialAuthority) {
        if (
            cityToken == address(0) || identityRegistry_ == address(0) || recordRegistry_ == address(0)
                || treasury_ == address(0)
        ) revert GrantFundZeroAddress();
        _token = IERC20(cityToken);
        _identity = IIdentityRegistry(identityRegistry_);
        _records = IRecordRegistry(recordRegistry_);
        _setTreasury(treasury_);
        _setCommittee(threshold_, committeeSize_);
    }

    // =================================================================== admin

    /// @inheritdoc IGrantFund
    function setCommittee(uint32 newThreshold, uint32 newCommitteeSize) external restricted {
        _setCommittee(newThreshold, newCommitteeSize);
    }

    /// @inheritdoc IGrantFund
    function setTreasury(address newTreasury) external restricted {
        if (newTreasury == address(0)) revert GrantFundZeroAddress();
        _setTreasury(newTreasury);
    }

    /// @inheritdoc IGrantFund
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IGrantFund
    function unpause() external restricted {
        _unpause();
    }

    /// @inheritdoc IGrantFund
    function setConflict(bytes32 memberSubject, bytes32 subject, bool conflicted) external restricted {
        if (memberSubject == bytes32(0) || subject == bytes32(0)) revert GrantFundZeroHash();
        _conflicts[memberSubject][subject] = conflicted;
        emit ConflictSet(memberSubject, subject, _msgSender(), conflicted);
    }

    // =================================================================== rounds

    /// @inheritdoc IGrantFund
    function createRound(
        string calldata name,
        RoundKind kind,
        uint256 policyId,
        uint256 budget,
        uint64 opensAt,
        uint64 closesAt,
        uint64 decisionDeadline
    ) external restricted returns (uint256 roundId) {
        if (budget == 0) revert GrantFundZeroAmount();
        if (!_records.policyExists(policyId)) revert GrantFundUnknownPolicy(policyId);
        if (opensAt >= closesAt || closesAt > decisionDeadline || closesAt <= block.timestamp) {
            revert GrantFundInvalidSchedule(opensAt, closesAt, decisionDeadline);
        }
        roundId = ++_roundCount;
        Round storage round = _rounds[roundId];
        round.name = name;
        round.kind = kind;
        round.opensAt = opensAt;
        round.closesAt = closesAt;
        round.decisionDeadline = decisionDeadline;
        round.policyId = policyId;
        round.budget = budget;
        _emitRoundCreated(roundId, round);
    }

    /// @inheritdoc IGrantFund
    function fundRound(uint256 roundId, uint256 amount) external nonReentrant {
        Round storage round = _openRound(roundId);
        if (amount == 0) revert GrantFundZeroAmount();
        uint256 room = round.budget - round.deposited;
        if (amount > room) revert GrantFundOverfunded(roundId, amount, room);
        round.deposited += amount;
        _totalDeposited += amount;
        emit RoundFunded(roundId, _msgSender(), amount);
        _token.safeTransferFrom(_msgSender(), address(this), amount);
    }

    /// @inheritdoc IGrantFund
    function closeRound(uint256 roundId) external restricted whenNotPaused nonReentrant {
        Round storage round = _openRound(roundId);
        if (block.timestamp <= round.decisionDeadline) {
            revert GrantFundDecisionPending(roundId, round.decisionDeadline);
        }
        round.closed = true;
        emit RoundClosed(roundId, _msgSender());
        _returnUnspent(roundId, round);
    }

    /// @inheritdoc IGrantFund
    function sweep(uint256 roundId) external whenNotPaused nonReentrant {
        Round storage round = _round(roundId);
        if (!round.closed) revert GrantFundRoundNotClosed(roundId);
        if (!_returnUnspent(roundId, round)) revert GrantFundNothingToReturn(roundId);
    }

    // =================================================================== applications and awards

    /// @inheritdoc IGrantFund
    function applyForRent(
        uint256 roundId,
        bytes32 proposalHash,
        bytes32 leaseHash,
        uint256 monthlyAmount,
        uint16 months
    ) external returns (uint256 appId) {
        Round storage round = _round(roundId);
        if (round.kind != RoundKind.RentSubsidy) revert GrantFundWrongRoundKind(roundId, round.kind);
        if (monthlyAmount == 0) revert GrantFundZeroAmount();
        if (months == 0 || months > MAX_RENT_MONTHS) revert GrantFundInvalidRentTerm(months);
        if (leaseHash == bytes32(0)) revert GrantFundZeroHash();
        uint256 holder = _leaseHolders[leaseHash];
        if (holder != 0 && _holdsLease(holder)) revert GrantFundLeaseInUse(leaseHash, holder);
        appId = _newApplication(roundId, round, proposalHash, leaseHash, monthlyAmount * months);
        _leaseHolders[leaseHash] = appId;
        Application storage app = _applications[appId];
        app.monthlyAmount = monthlyAmount;
        app.months = months;
    }

    /// @inheritdoc IGrantFund
    function applyForGrant(
        uint256 roundId,
        bytes32 proposalHash,
        uint256[] calldata amounts,
        uint64[] calldata dueDates
    ) external returns (uint256 appId) {
        Round storage round = _round(roundId);
        if (round.kind == RoundKind.RentSubsidy) revert GrantFundWrongRoundKind(roundId, round.kind);
        uint256 count = amounts.length;
        if (count == 0 || count > MAX_MILESTONES || count != dueDates.length) {
            revert GrantFundInvalidMilestoneCount(count, dueDates.length);
        }
        uint256 total = 0;
        for (uint256 i = 0; i < count; ++i) {
            if (amounts[i] == 0 || dueDates[i] <= block.timestamp) revert GrantFundInvalidMilestone(i);
            total += amounts[i];
        }
        appId = _newApplication(roundId, round, proposalHash, bytes32(0), total);
        for (uint256 i = 0; i < count; ++i) {
            _milestones[appId].push(
                Milestone({
                    amount: amounts[i],
                    dueDate: dueDates[i],
                    status: MilestoneStatus.Pending,
                    submissions: 0,
                    threshold: 0,
                    evidenceHash: bytes32(0)
                })
            );
        }
    }

    /// @inheritdoc IGrantFund
    function voteOnApplication(uint256 appId, bool support) external {
        Application storage app = _application(appId);
        if (app.status != ApplicationStatus.Pending) revert GrantFundWrongApplicationStatus(appId, app.status);
        Round storage round = _rounds[app.roundId];
        if (block.timestamp > round.decisionDeadline) {
            revert GrantFundDecisionClosed(app.roundId, round.decisionDeadline);
        }
        address member = _requireVoter(app.subject);
        bytes32 ballotId = _applicationBallot(appId);
        Ballot storage ballot = _ballots[ballotId];
        (uint256 yes, uint256 no) = _castVote(ballotId, member, support);
        emit ApplicationVoted(appId, member, support, yes, no);
        uint32 needed = app.threshold;
        if (yes >= needed) {
            app.status = ApplicationStatus.Approved;
            emit ApplicationApproved(appId, member, ballot.approvals);
        } else if (no >= needed) {
            app.status = ApplicationStatus.Rejected;
            emit ApplicationRejected(appId, member, ballot.rejections);
        }
    }

    /// @inheritdoc IGrantFund
    function declareConflict(bytes32 subject) external {
        bytes32 memberSubject = _requireMember(_msgSender());
        if (subject == bytes32(0)) revert GrantFundZeroHash();
        _conflicts[memberSubject][subject] = true;
        emit ConflictDeclared(memberSubject, subject, _msgSender());
    }

    /// @inheritdoc IGrantFund
    function award(uint256 appId) external {
        Application storage app = _application(appId);
        if (app.status != ApplicationStatus.Approved) revert GrantFundWrongApplicationStatus(appId, app.status);
        uint256 roundId = app.roundId;
        Round storage round = _rounds[roundId];
        if (round.closed) revert GrantFundRoundClosed(roundId);
        if (block.timestamp > round.decisionDeadline) revert GrantFundDecisionClosed(roundId, round.decisionDeadline);
        if (!isEligible(app.subject, round.policyId)) revert GrantFundIneligible(app.subject, round.policyId);
        uint256 available = round.deposited - round.committed - round.returned;
        if (app.amount > available) revert GrantFundInsufficientBudget(roundId, app.amount, available);

        app.status = ApplicationStatus.Awarded;
        round.committed += app.amount;
        Award storage grant = _awards[appId];
        grant.status = AwardStatus.Active;
        grant.awardedAt = uint64(block.timestamp);
        emit AwardMade(appId, roundId, app.subject, _msgSender(), app.amount);
        // Eligibility was just verified: it is observed for rent month 0.
        if (app.months != 0) _checkIn(appId, grant, 0);
    }

    // =================================================================== milestones

    /// @inheritdoc IGrantFund
    function submitMilestone(uint256 appId, uint256 index, bytes32 evidenceHash) external {
        (Application storage app,) = _activeAward(appId);
        Milestone storage milestone = _milestone(appId, index);
        // Allo #685: the caller must be the grantee itself (its current controller), nobody else.
        if (_identity.activeControllerOf(app.subject) != _msgSender()) {
            revert GrantFundNotGrantee(_msgSender(), app.subject);
        }
        if (evidenceHash == bytes32(0)) revert GrantFundZeroHash();
        MilestoneStatus status = milestone.status;
        if (status != MilestoneStatus.Pending && status != MilestoneStatus.Rejected) {
            revert GrantFundWrongMilestoneStatus(appId, index, status);
        }
        // Allo #71: a rejected submission cannot come back unchanged.
        if (_rejectedEvidence[appId][index][evidenceHash]) revert GrantFundEvidenceRejected(appId, index, evidenceHash);
        if (block.timestamp > milestone.dueDate) revert GrantFundMilestoneOverdue(appId, index, milestone.dueDate);

        milestone.status = MilestoneStatus.Submitted;
        milestone.evidenceHash = evidenceHash;
        milestone.threshold = _threshold; // this submission's ballot opens now
        uint32 submission = ++milestone.submissions;
        emit MilestoneSubmitted(appId, index, _msgSender(), evidenceHash, submission);
    }

    /// @inheritdoc IGrantFund
    function voteOnMilestone(uint256 appId, uint256 index, bool approve) external nonReentrant {
        (Application storage app, Award storage grant) = _activeAward(appId);
        Milestone storage milestone = _milestone(appId, index);
        if (milestone.status != MilestoneStatus.Submitted) {
            revert GrantFundWrongMilestoneStatus(appId, index, milestone.status);
        }
        address member = _requireVoter(app.subject);
        bytes32 ballotId = _milestoneBallot(appId, index, milestone.submissions);
        Ballot storage ballot = _ballots[ballotId];
        (uint256 yes, uint256 no) = _castVote(ballotId, member, approve);
        emit MilestoneVoted(appId, index, member, approve, yes, no);
        uint32 needed = milestone.threshold;
        if (yes >= needed) {
            milestone.status = MilestoneStatus.Approved;
            emit MilestoneApproved(appId, index, member, ballot.approvals);
            // Payment follows the approval unless paused or the grantee lost eligibility; then
            // it stays Approved and anyone can `payMilestone` later.
            if (!paused()) {
                (bool payable_, address payee) = _payee(app);
                if (payable_) _payMilestone(appId, index, app, grant, milestone, payee);
            }
        } else if (no >= needed) {
            milestone.status = MilestoneStatus.Rejected;
            _rejectedEvidence[appId][index][milestone.evidenceHash] = true;
            emit MilestoneRejected(appId, index, member, milestone.evidenceHash, ballot.rejections);
        }
    }

    /// @inheritdoc IGrantFund
    function payMilestone(uint256 appId, uint256 index) external whenNotPaused nonReentrant {
        (Application storage app, Award storage grant) = _activeAward(appId);
        Milestone storage milestone = _milestone(appId, index);
        if (milestone.status != MilestoneStatus.Approved) {
            revert GrantFundWrongMilestoneStatus(appId, index, milestone.status);
        }
        (bool payable_, address payee) = _payee(app);
        if (!payable_) revert GrantFundIneligible(app.subject, _rounds[app.roundId].policyId);
        _payMilestone(appId, index, app, grant, milestone, payee);
    }

    // =================================================================== rent

    /// @inheritdoc IGrantFund
    function recordRentEligibility(uint256 appId) external {
        (Application storage app, Award storage grant) = _activeRentAward(appId);
        uint256 month = _currentMonth(grant);
        if (month >= app.months) revert GrantFundNoCurrentRentMonth(appId);
        if (_checkedIn(grant.rentCheckIns, month)) revert GrantFundRentAlreadyCheckedIn(appId, uint16(month));
        uint256 policyId = _rounds[app.roundId].policyId;
        if (!isEligible(app.subject, policyId)) revert GrantFundIneligible(app.subject, policyId);
        _checkIn(appId, grant, month);
    }

    /// @inheritdoc IGrantFund
    function payRent(uint256 appId) external whenNotPaused nonReentrant {
        (Application storage app, Award storage grant) = _activeRentAward(appId);
        Round storage round = _rounds[app.roundId];
        uint256 current = _currentMonth(grant);
        bool unobserved = current < app.months && !_checkedIn(grant.rentCheckIns, current);
        if (unobserved && isEligible(app.subject, round.policyId)) _checkIn(appId, grant, current);
        uint64 checkIns = grant.rentCheckIns;
        address payee = _identity.activeControllerOf(app.subject);
        uint256 first = grant.monthsSettled;
        (uint256 end, uint256 paidMonths, uint256 forfeitedMonths) =
            _settlement(first, app.months, current, checkIns, payee != address(0));
        if (end == first) {
            if (payee == address(0) && _checkedIn(checkIns, first)) {
                revert GrantFundGranteeNotActive(appId, app.subject);
            }
            revert GrantFundNothingDue(appId, _nextDueAt(grant, app.months, current));
        }

        grant.monthsSettled = uint16(end);
        uint256 paid = app.monthlyAmount * paidMonths;
        uint256 released = app.monthlyAmount * forfeitedMonths;
        if (paid != 0) {
            grant.paid += paid;
            round.paid += paid;
            _totalPaid += paid;
        }
        if (released != 0) {
            grant.released += released;
            round.committed -= released;
        }
        _emitRentSettled(appId, payee, app.monthlyAmount, first, end, checkIns);
        _completeIfSettled(appId, app, grant);
        if (paid != 0) _token.safeTransfer(payee, paid);
    }

    // =================================================================== clawback

    /// @inheritdoc IGrantFund
    function voteClawback(uint256 appId, bytes32 reasonHash) external {
        (Application storage app, Award storage grant) = _activeAward(appId);
        if (reasonHash == bytes32(0)) revert GrantFundZeroHash();
        address member = _requireVoter(app.subject);
        bytes32 ballotId = _clawbackBallot(appId);
        uint32 needed = grant.clawbackThreshold;
        if (needed == 0) {
            needed = _threshold; // the first clawback vote opens the ballot
            grant.clawbackThreshold = needed;
        }
        (uint256 yes,) = _castVote(ballotId, member, true);
        emit ClawbackVoted(appId, member, reasonHash, yes);
        if (yes >= needed) {
            uint256 unpaid = app.amount - grant.paid - grant.released;
            grant.status = AwardStatus.ClawedBack;
            grant.released += unpaid;
            _rounds[app.roundId].committed -= unpaid;
            emit AwardClawedBack(appId, member, unpaid, _ballots[ballotId].approvals);
        }
    }

    // =================================================================== views

    /// @inheritdoc IGrantFund
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IGrantFund
    function identityRegistry() external view returns (address) {
        return address(_identity);
    }

    /// @inheritdoc IGrantFund
    function recordRegistry() external view returns (address) {
        return address(_records);
    }

    /// @inheritdoc IGrantFund
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IGrantFund
    function threshold() external view returns (uint32) {
        return _threshold;
    }

    /// @inheritdoc IGrantFund
    function committeeSize() external view returns (uint32) {
        return _committeeSize;
    }

    /// @inheritdoc IGrantFund
    function totalDeposited() external view returns (uint256) {
        return _totalDeposited;
    }

    /// @inheritdoc IGrantFund
    function totalPaid() external view returns (uint256) {
        return _totalPaid;
    }

    /// @inheritdoc IGrantFund
    function totalReturned() external view returns (uint256) {
        return _totalReturned;
    }

    /// @inheritdoc IGrantFund
    function roundCount() external view returns (uint256) {
        return _roundCount;
    }

    /// @inheritdoc IGrantFund
    function applicationCount() external view returns (uint256) {
        return _applicationCount;
    }

    /// @inheritdoc IGrantFund
    function getRound(uint256 roundId) external view returns (Round memory) {
        return _round(roundId);
    }

    /// @inheritdoc IGrantFund
    function applicationsOf(uint256 roundId) external view returns (uint256[] memory) {
        _round(roundId);
        return _roundApplications[roundId];
    }

    /// @inheritdoc IGrantFund
    function availableOf(uint256 roundId) external view returns (uint256) {
        Round storage round = _round(roundId);
        return round.deposited - round.committed - round.returned;
    }

    /// @inheritdoc IGrantFund
    function owedOf(uint256 roundId) external view returns (uint256) {
        Round storage round = _round(roundId);
        return round.committed - round.paid;
    }

    /// @inheritdoc IGrantFund
    function heldOf(uint256 roundId) external view returns (uint256) {
        Round storage round = _round(roundId);
        return round.deposited - round.paid - round.returned;
    }

    /// @inheritdoc IGrantFund
    function getApplication(uint256 appId) external view returns (Application memory) {
        return _application(appId);
    }

    /// @inheritdoc IGrantFund
    function applicationStatus(uint256 appId) external view returns (ApplicationStatus) {
        Application storage app = _application(appId);
        ApplicationStatus status = app.status;
        if (
            (status == ApplicationStatus.Pending || status == ApplicationStatus.Approved)
                && (block.timestamp > _rounds[app.roundId].decisionDeadline || _rounds[app.roundId].closed)
        ) return ApplicationStatus.Expired;
        return status;
    }

    /// @inheritdoc IGrantFund
    function getAward(uint256 appId) external view returns (Award memory) {
        _application(appId);
        return _awards[appId];
    }

    /// @inheritdoc IGrantFund
    function milestoneCount(uint256 appId) external view returns (uint256) {
        _application(appId);
        return _milestones[appId].length;
    }

    /// @inheritdoc IGrantFund
    function getMilestone(uint256 appId, uint256 index) external view returns (Milestone memory) {
        _application(appId);
        return _milestone(appId, index);
    }

    /// @inheritdoc IGrantFund
    function isEvidenceRejected(uint256 appId, uint256 index, bytes32 evidenceHash) external view returns (bool) {
        return _rejectedEvidence[appId][index][evidenceHash];
    }

    /// @inheritdoc IGrantFund
    function rentDue(uint256 appId) external view returns (RentDue memory due) {
        Application storage app = _application(appId);
        Award storage grant = _awards[appId];
        uint16 months = app.months;
        if (grant.status != AwardStatus.Active || months == 0) return due;
        uint256 current = _currentMonth(grant);
        uint64 checkIns = grant.rentCheckIns;
        due.currentMonth = current < months ? uint16(current) : months;
        due.currentCheckedIn = current < months && _checkedIn(checkIns, current);
        due.eligibleNow = isEligible(app.subject, _rounds[app.roundId].policyId);
        if (current < months && due.eligibleNow) checkIns |= uint64(1) << current; // as payRent would
        bool payeeActive = _identity.activeControllerOf(app.subject) != address(0);
        (uint256 end, uint256 paidMonths, uint256 forfeitedMonths) =
            _settlement(grant.monthsSettled, months, current, checkIns, payeeActive);
        due.payableMonths = uint16(paidMonths);
        due.payableAmount = app.monthlyAmount * paidMonths;
        due.forfeitableMonths = uint16(forfeitedMonths);
        due.forfeitableAmount = app.monthlyAmount * forfeitedMonths;
        if (!payeeActive) {
            uint256 last = current < months ? current : months - 1;
            for (uint256 i = end; i <= last; ++i) {
                if (_checkedIn(checkIns, i)) ++due.waitingMonths;
            }
        }
        due.nextDueAt = _nextDueAt(grant, months, current);
    }

    /// @inheritdoc IGrantFund
    function leaseHolder(bytes32 leaseHash) external view returns (uint256 appId, bool reserved) {
        appId = _leaseHolders[leaseHash];
        reserved = appId != 0 && _holdsLease(appId);
    }

    /// @inheritdoc IGrantFund
    function isConflicted(bytes32 memberSubject, bytes32 subject) public view returns (bool) {
        return memberSubject == subject || _conflicts[memberSubject][subject];
    }

    /// @inheritdoc IGrantFund
    function applicationVotes(uint256 appId) external view returns (address[] memory yes, address[] memory no) {
        _application(appId);
        Ballot storage ballot = _ballots[_applicationBallot(appId)];
        return (ballot.approvals, ballot.rejections);
    }

    /// @inheritdoc IGrantFund
    function milestoneVotes(uint256 appId, uint256 index)
        external
        view
        returns (address[] memory yes, address[] memory no)
    {
        _application(appId);
        Milestone storage milestone = _milestone(appId, index);
        Ballot storage ballot = _ballots[_milestoneBallot(appId, index, milestone.submissions)];
        return (ballot.approvals, ballot.rejections);
    }

    /// @inheritdoc IGrantFund
    function clawbackVotes(uint256 appId) external view returns (address[] memory) {
        _application(appId);
        return _ballots[_clawbackBallot(appId)].approvals;
    }

    /// @inheritdoc IGrantFund
    function isCommitteeMember(address account) public view returns (bool) {
        (bool isMember, uint32 executionDelay) =
            IAccessManager(authority()).hasRole(CityRoles.FUND_COMMITTEE, account);
        return isMember && executionDelay == 0;
    }

    /// @inheritdoc IGrantFund
    function isEligible(bytes32 subject, uint256 policyId) public view returns (bool) {
        return _identity.isActive(subject) && _identity.kindOf(subject) == IIdentityRegistry.Kind.Enterprise
            && _records.meetsPolicy(subject, policyId);
    }

    // =================================================================== internals

    function _setCommittee(uint32 threshold_, uint32 committeeSize_) private {
        if (threshold_ < 2 || threshold_ > committeeSize_ || committeeSize_ > MAX_COMMITTEE_SIZE) {
            revert GrantFundInvalidThreshold(threshold_, committeeSize_);
        }
        _threshold = threshold_;
        _committeeSize = committeeSize_;
        emit CommitteeSet(_msgSender(), threshold_, committeeSize_);
    }

    function _setTreasury(address newTreasury) private {
        _treasury = newTreasury;
        emit TreasurySet(_msgSender(), newTreasury);
    }

    /// @dev Separate frame: `createRound`'s arguments alone fill the stack.
    function _emitRoundCreated(uint256 roundId, Round storage round) private {
        emit RoundCreated(
            roundId,
            _msgSender(),
            round.kind,
            round.policyId,
            round.budget,
            round.opensAt,
            round.closesAt,
            round.decisionDeadline,
            round.name
        );
    }

    function _newApplication(
        uint256 roundId,
        Round storage round,
        bytes32 proposalHash,
        bytes32 leaseHash,
        uint256 amount
    ) private returns (uint256 appId) {
        if (round.closed) revert GrantFundRoundClosed(roundId);
        if (block.timestamp < round.opensAt || block.timestamp > round.closesAt) {
            revert GrantFundApplicationsNotOpen(roundId, round.opensAt, round.closesAt);
        }
        if (proposalHash == bytes32(0)) revert GrantFundZeroHash();
        if (amount > round.budget) revert GrantFundRequestExceedsBudget(amount, round.budget);
        bytes32 subject = _identity.subjectOf(_msgSender());
        if (subject == bytes32(0)) revert GrantFundUnknownApplicant(_msgSender());
        if (_identity.kindOf(subject) != IIdentityRegistry.Kind.Enterprise) revert GrantFundNotEnterprise(subject);
        if (!isEligible(subject, round.policyId)) revert GrantFundIneligible(subject, round.policyId);
        if (_hasApplied[roundId][subject]) revert GrantFundDuplicateApplication(roundId, subject);
        uint256[] storage ids = _roundApplications[roundId];
        if (ids.length >= MAX_APPLICATIONS_PER_ROUND) revert GrantFundTooManyApplications(roundId);

        appId = ++_applicationCount;
        _hasApplied[roundId][subject] = true;
        _roundApplications[roundId].push(appId);
        Application storage app = _applications[appId];
        app.roundId = roundId;
        app.subject = subject;
        app.proposalHash = proposalHash;
        app.leaseHash = leaseHash;
        app.amount = amount;
        app.status = ApplicationStatus.Pending;
        app.submittedAt = uint64(block.timestamp);
        app.threshold = _threshold; // the application's ballot opens now
        emit ApplicationSubmitted(appId, roundId, subject, _msgSender(), proposalHash, amount, leaseHash);
    }

    /// @dev Pays an Approved milestone: every state change first, the transfer last.
    function _payMilestone(
        uint256 appId,
        uint256 index,
        Application storage app,
        Award storage grant,
        Milestone storage milestone,
        address payee
    ) private {
        uint256 amount = milestone.amount;
        milestone.status = MilestoneStatus.Paid;
        grant.paid += amount;
        _rounds[app.roundId].paid += amount;
        _totalPaid += amount;
        emit MilestonePaid(appId, index, payee, _msgSender(), amount);
        _completeIfSettled(appId, app, grant);
        _token.safeTransfer(payee, amount);
    }

    /// @dev Sends what a closed round holds beyond what it still owes to the treasury.
    function _returnUnspent(uint256 roundId, Round storage round) private returns (bool returned) {
        uint256 unspent = round.deposited - round.committed - round.returned;
        if (unspent == 0) return false;
        round.returned += unspent;
        _totalReturned += unspent;
        address to = _treasury;
        emit FundsReturned(roundId, _msgSender(), to, unspent);
        _token.safeTransfer(to, unspent);
        return true;
    }

    function _completeIfSettled(uint256 appId, Application storage app, Award storage grant) private {
        if (grant.paid + grant.released == app.amount) {
            grant.status = AwardStatus.Completed;
            emit AwardCompleted(appId, _msgSender());
        }
    }

    /// @dev Who receives a payout now, and whether the grantee may be paid at all.
    function _payee(Application storage app) private view returns (bool ok, address payee) {
        payee = _identity.controllerOf(app.subject);
        ok = payee != address(0) && isEligible(app.subject, _rounds[app.roundId].policyId);
    }

    /// @dev The 0-based rent month whose window contains now (>= the term once it has ended).
    function _currentMonth(Award storage grant) private view returns (uint256) {
        return (block.timestamp - grant.awardedAt) / MONTH;
    }

    /// @dev When the current month's window ends; 0 once the term has ended.
    function _nextDueAt(Award storage grant, uint16 months, uint256 current) private view returns (uint64) {
        return current < months ? grant.awardedAt + uint64(current + 1) * MONTH : 0;
    }

    function _checkedIn(uint64 checkIns, uint256 month) private pure returns (bool) {
        return checkIns & (uint64(1) << month) != 0;
    }

    /// @dev Records the grantee's eligibility for rent month `month` (the caller checked it).
    function _checkIn(uint256 appId, Award storage grant, uint256 month) private {
        grant.rentCheckIns |= uint64(1) << month;
        emit RentEligibilityRecorded(appId, uint16(month), _msgSender());
    }

    /// @dev Which months settle now, walking from `first` in order: a checked-in month is paid
    /// (unless the payee is not active: then the walk stops), a month whose window ended without a
    /// check-in is forfeited, the current month without a check-in stops the walk. Months
    /// [first, end) settle; at most `months` (<= MAX_RENT_MONTHS) iterations.
    function _settlement(uint256 first, uint16 months, uint256 current, uint64 checkIns, bool payeeActive)
        private
        pure
        returns (uint256 end, uint256 paidMonths, uint256 forfeitedMonths)
    {
        for (end = first; end < months && end <= current; ++end) {
            if (_checkedIn(checkIns, end)) {
                if (!payeeActive) break;
                ++paidMonths;
            } else if (end < current) {
                ++forfeitedMonths;
            } else {
                break;
            }
        }
    }

    /// @dev One RentPaid / RentPaymentSkipped event per run of consecutive paid / forfeited months
    /// in [first, end) (a month is paid exactly when it is checked in, see {_settlement}).
    function _emitRentSettled(
        uint256 appId,
        address payee,
        uint256 monthlyAmount,
        uint256 first,
        uint256 end,
        uint64 checkIns
    ) private {
        uint256 runStart = first;
        for (uint256 i = first; i < end; ++i) {
            bool paid = _checkedIn(checkIns, i);
            if (i + 1 == end || _checkedIn(checkIns, i + 1) != paid) {
                uint16 count = uint16(i + 1 - runStart);
                if (paid) {
                    emit RentPaid(appId, payee, _msgSender(), uint16(runStart), count, monthlyAmount * count);
                } else {
                    emit RentPaymentSkipped(appId, _msgSender(), uint16(runStart), count, monthlyAmount * count);
                }
                runStart = i + 1;
            }
        }
    }

    /// @dev True while `appId` reserves its lease: a live (undecided or approved, not lapsed)
    /// application, or an active award.
    function _holdsLease(uint256 appId) private view returns (bool) {
        Application storage app = _applications[appId];
        ApplicationStatus status = app.status;
        if (status == ApplicationStatus.Awarded) return _awards[appId].status == AwardStatus.Active;
        if (status != ApplicationStatus.Pending && status != ApplicationStatus.Approved) return false;
        Round storage round = _rounds[app.roundId];
        return !round.closed && block.timestamp <= round.decisionDeadline;
    }

    /// @dev Records `member`'s vote; reverts on a second vote on the same ballot. Both lists are
    /// bounded by MAX_COMMITTEE_SIZE (see {Ballot}), so the scan is bounded.
    function _castVote(bytes32 ballotId, address member, bool support) private returns (uint256, uint256) {
        address[] storage approvals = _ballots[ballotId].approvals;
        address[] storage rejections = _ballots[ballotId].rejections;
        for (uint256 i = 0; i < approvals.length; ++i) {
            if (approvals[i] == member) revert GrantFundAlreadyVoted(member);
        }
        for (uint256 i = 0; i < rejections.length; ++i) {
            if (rejections[i] == member) revert GrantFundAlreadyVoted(member);
        }
        if (support) _ballots[ballotId].approvals.push(member);
        else _ballots[ballotId].rejections.push(member);
        return (approvals.length, rejections.length);
    }

    /// @dev The caller, if it may vote on matters of `subject`: a member whose identity is neither
    /// `subject` nor declared conflicted with it.
    function _requireVoter(bytes32 subject) private view returns (address member) {
        member = _msgSender();
        if (isConflicted(_requireMember(member), subject)) revert GrantFundConflictOfInterest(member, subject);
    }

    /// @dev The Active identity controlled by committee member `member`.
    function _requireMember(address member) private view returns (bytes32 memberSubject) {
        if (!isCommitteeMember(member)) revert GrantFundNotCommitteeMember(member);
        memberSubject = _identity.subjectOf(member);
        if (memberSubject == bytes32(0) || !_identity.isActive(memberSubject)) {
            revert GrantFundMemberWithoutIdentity(member);
        }
    }

    function _round(uint256 roundId) private view returns (Round storage round) {
        round = _rounds[roundId];
        if (round.budget == 0) revert GrantFundUnknownRound(roundId);
    }

    function _openRound(uint256 roundId) private view returns (Round storage round) {
        round = _round(roundId);
        if (round.closed) revert GrantFundRoundClosed(roundId);
    }

    function _application(uint256 appId) private view returns (Application storage app) {
        app = _applications[appId];
        if (app.status == ApplicationStatus.None) revert GrantFundUnknownApplication(appId);
    }

    function _activeAward(uint256 appId) private view returns (Application storage app, Award storage grant) {
        app = _application(appId);
        grant = _awards[appId];
        if (grant.status != AwardStatus.Active) revert GrantFundAwardNotActive(appId, grant.status);
    }

    function _activeRentAward(uint256 appId) private view returns (Application storage app, Award storage grant) {
        (app, grant) = _activeAward(appId);
        RoundKind kind = _rounds[app.roundId].kind;
        if (kind != RoundKind.RentSubsidy) revert GrantFundWrongAwardKind(appId, kind);
    }

    function _milestone(uint256 appId, uint256 index) private view returns (Milestone storage) {
        Milestone[] storage milestones = _milestones[appId];
        if (index >= milestones.length) revert GrantFundUnknownMilestone(appId, index);
        return milestones[index];
    }

    function _applicationBallot(uint256 appId) private pure returns (bytes32) {
        return keccak256(abi.encode("application", appId));
    }

    function _milestoneBallot(uint256 appId, uint256 index, uint32 submission) private pure returns (bytes32) {
        return keccak256(abi.encode("milestone", appId, index, submission));
    }

    function _clawbackBallot(uint256 appId) private pure returns (bytes32) {
        return keccak256(abi.encode("clawback", appId));
    }
}
