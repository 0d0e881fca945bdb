// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuardUpgradeable} from
    "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {CityRoles} from "../access/CityRoles.sol";
import {CityManaged} from "../common/CityManaged.sol";
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
///   authority per vote, CityManaged's `_hasImmediateRole`) and control an Active registered
///   identity (`subjectOf(voter)`; a bare wallet holding the role may not vote), may vote once
///   per question, and may not vote on an application or award of its own identity nor of any
///   identity declared conflicted with it in the register of interests. Conflicts are judged by
///   identity, never by wallet, so moving an enterprise to another wallet changes nothing. The
///   register: the fund manager records or clears conflicts (`setConflict`); a member may recuse
///   itself (`declareConflict`) and cannot undo that itself. Votes count as cast: revoking a
///   member later does not remove votes already cast. M (`threshold`) is at least 2: no single
///   member decides.
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
/// - Pause (CityManaged's story; the guardian pauses, the admin unpauses): in this fund a pause
///   stops every OUTFLOW and nothing else: `payMilestone`, `payRent` and `sweep` refuse
///   (`CityContractStopped`), `closeRound` refuses (`EnforcedPause`), and a milestone approved
///   while paused is not paid (anyone calls `payMilestone` after the pause). Named exceptions
///   that continue during a pause, because none moves tokens out of the fund: deposits
///   (`fundRound`: money comes in), applications (`applyForRent`, `applyForGrant`), the
///   committee's work (`voteOnApplication`, `voteOnMilestone`, `voteClawback`,
///   `declareConflict`), `award` (reserves budget, pays nothing), `submitMilestone`, clawbacks
///   (they release money to the round) and rent check-ins (`recordRentEligibility`: a pause must
///   not make a firm forfeit a month); and the fund manager's and admin's bookkeeping
///   (`createRound`, `setConflict` — the register of interests must keep up with votes that
///   continue — `setCommittee`, `setTreasury`).
/// - Closed: when the admin closes the fund in the AccessManager (`setTargetClosed`, after the
///   target's admin delay) EVERY state-changing function stops, the pause exceptions included:
///   the self-checked ones above carry `whenOpen` (outflows) or `whenNotClosed` (the pause
///   exceptions) and refuse with `CityContractStopped`; the manager refuses the `restricted`
///   ones. Views never stop.
/// - Upgradeable behind a CityProxy (see CityManaged): `initialize` takes what the constructor
///   took; every field (including the token and the registries, immutables before) lives in
///   the ERC-7201 namespace `civic.GrantFund`. Re-entrancy guard: OpenZeppelin's namespaced
///   ReentrancyGuardUpgradeable.
/// - Conservation: token.balanceOf(this) == totalDeposited − totalPaid − totalReturned (tokens
///   sent to the fund without `fundRound` are not accounted and stay locked).
contract GrantFund is CityManaged, ReentrancyGuardUpgradeable, IGrantFund {
    using SafeERC20 for IERC20;

    /// @custom:storage-location erc7201:civic.GrantFund
    /// @dev Every field of the fund (the token and the registries were immutables before the
    /// fund became upgradeable). `identity` shares its slot with the committee parameters, which
    /// applications and submissions read with it.
    struct GrantFundStorage {
        IIdentityRegistry identity;
        uint32 threshold;
        uint32 committeeSize;
        IRecordRegistry records;
        IERC20 token;
        address treasury;
        uint256 totalDeposited;
        uint256 totalPaid;
        uint256 totalReturned;
        uint256 roundCount;
        uint256 applicationCount;
        mapping(uint256 roundId => Round) rounds;
        mapping(uint256 roundId => uint256[] appIds) roundApplications;
        mapping(uint256 roundId => mapping(bytes32 subject => bool)) hasApplied;
        mapping(uint256 appId => Application) applications;
        mapping(uint256 appId => Award) awards;
        mapping(uint256 appId => Milestone[]) milestones;
        mapping(uint256 appId => mapping(uint256 index => mapping(bytes32 evidenceHash => bool))) rejectedEvidence;
        mapping(bytes32 ballotId => Ballot) ballots;
        mapping(bytes32 leaseHash => uint256 appId) leaseHolders;
        mapping(bytes32 memberSubject => mapping(bytes32 subject => bool)) conflicts;
    }

    // keccak256(abi.encode(uint256(keccak256("civic.GrantFund")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant GRANT_FUND_STORAGE = 0x6e2f0b02d9bbc68864840860b6f2a5149c66c2d6b7703986c090bdbb9d498a00;

    /// @notice Length of a rent month.
    uint64 internal constant MONTH = 30 days;
    /// @notice Most milestones per grant (bounds the application loop).
    uint256 internal constant MAX_MILESTONES = 12;
    /// @notice Longest rent subsidy (its check-ins fit the 64-bit `Award.rentCheckIns`).
    uint16 internal constant MAX_RENT_MONTHS = 60;
    /// @notice Largest declared committee; bounds every ballot's voter lists (each < threshold).
    uint32 internal constant MAX_COMMITTEE_SIZE = 16;
    /// @notice Most applications per round (bounds `applicationsOf`).
    uint256 internal constant MAX_APPLICATIONS_PER_ROUND = 1000;

    /// @notice Sets the fund up (once, via the proxy): the same arguments the constructor took.
    /// @param initialAuthority The city's AccessManager.
    /// @param cityToken The settlement token grants are paid in.
    /// @param identityRegistry_ Identity registry (applicant identities, kinds, controllers).
    /// @param recordRegistry_ Record registry (eligibility policies).
    /// @param treasury_ Wallet receiving unspent budgets.
    /// @param threshold_ Committee votes needed per decision (M).
    /// @param committeeSize_ Declared committee size (N).
    function initialize(
        address initialAuthority,
        address cityToken,
        address identityRegistry_,
        address recordRegistry_,
        address treasury_,
        uint32 threshold_,
        uint32 committeeSize_
    ) external initializer {
        __CityManaged_init(initialAuthority);
        __ReentrancyGuard_init();
        if (
            cityToken == address(0) || identityRegistry_ == address(0) || recordRegistry_ == address(0)
                || treasury_ == address(0)
        ) revert GrantFundZeroAddress();
        GrantFundStorage storage $ = _s();
        $.token = IERC20(cityToken);
        $.identity = IIdentityRegistry(identityRegistry_);
        $.records = IRecordRegistry(recordRegistry_);
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
    function setConflict(bytes32 memberSubject, bytes32 subject, bool conflicted) external restricted {
        if (memberSubject == bytes32(0) || subject == bytes32(0)) revert GrantFundZeroHash();
        _s().conflicts[memberSubject][subject] = conflicted;
        emit ConflictSet(memberSubject, subject, _msgSender(), conflicted);
    }

    // =================================================================== rounds

    /// @inheritdoc IGrantFund
    /// @dev `terms` is decoded to memory once: plain reads after that (bytecode size).
    function createRound(RoundTerms memory terms) external restricted returns (uint256 roundId) {
        GrantFundStorage storage $ = _s();
        if (terms.budget == 0) revert GrantFundZeroAmount();
        if (!$.records.policyExists(terms.policyId)) revert GrantFundUnknownPolicy(terms.policyId);
        if (
            terms.opensAt >= terms.closesAt || terms.closesAt > terms.decisionDeadline
                || terms.closesAt <= block.timestamp
        ) revert GrantFundInvalidSchedule(terms.opensAt, terms.closesAt, terms.decisionDeadline);
        roundId = ++$.roundCount;
        Round storage round = $.rounds[roundId];
        round.name = terms.name;
        round.kind = terms.kind;
        round.opensAt = terms.opensAt;
        round.closesAt = terms.closesAt;
        round.decisionDeadline = terms.decisionDeadline;
        round.policyId = terms.policyId;
        round.budget = terms.budget;
        emit RoundCreated(
            roundId,
            _msgSender(),
            terms.kind,
            terms.policyId,
            terms.budget,
            terms.opensAt,
            terms.closesAt,
            terms.decisionDeadline,
            terms.name
        );
    }

    /// @inheritdoc IGrantFund
    function fundRound(uint256 roundId, uint256 amount) external whenNotClosed nonReentrant {
        GrantFundStorage storage $ = _s();
        Round storage round = _openRound(roundId);
        if (amount == 0) revert GrantFundZeroAmount();
        uint256 room = round.budget - round.deposited;
        if (amount > room) revert GrantFundOverfunded(roundId, amount, room);
        round.deposited += amount;
        $.totalDeposited += amount;
        emit RoundFunded(roundId, _msgSender(), amount);
        $.token.safeTransferFrom(_msgSender(), address(this), amount);
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
    function sweep(uint256 roundId) external whenOpen nonReentrant {
        Round storage round = _round(roundId);
        if (!round.closed) revert GrantFundRoundNotClosed(roundId);
        if (!_returnUnspent(roundId, round)) revert GrantFundNothingToReturn(roundId);
    }

    // =================================================================== applications and awards

    /// @inheritdoc IGrantFund
    function applyForRent(uint256 roundId, bytes32 proposalHash, RentTerms calldata rent)
        external
        whenNotClosed
        returns (uint256 appId)
    {
        GrantFundStorage storage $ = _s();
        Round storage round = _roundOfKind(roundId, true);
        bytes32 leaseHash = rent.leaseHash;
        uint256 monthlyAmount = rent.monthlyAmount;
        uint16 months = rent.months;
        if (monthlyAmount == 0) revert GrantFundZeroAmount();
        if (months == 0 || months > MAX_RENT_MONTHS) revert GrantFundInvalidRentTerm(months);
        if (leaseHash == bytes32(0)) revert GrantFundZeroHash();
        uint256 holder = $.leaseHolders[leaseHash];
        if (holder != 0 && _holdsLease(holder)) revert GrantFundLeaseInUse(leaseHash, holder);
        appId = _newApplication($, roundId, round, proposalHash, leaseHash, monthlyAmount * months);
        $.leaseHolders[leaseHash] = appId;
        Application storage app = $.applications[appId];
        app.monthlyAmount = monthlyAmount;
        app.months = months;
    }

    /// @inheritdoc IGrantFund
    function applyForGrant(
        uint256 roundId,
        bytes32 proposalHash,
        uint256[] calldata amounts,
        uint64[] calldata dueDates
    ) external whenNotClosed returns (uint256 appId) {
        GrantFundStorage storage $ = _s();
        Round storage round = _roundOfKind(roundId, false);
        uint256 count = amounts.length;
        if (count == 0 || count > MAX_MILESTONES || count != dueDates.length) {
            revert GrantFundInvalidMilestoneCount(count, dueDates.length);
        }
        uint256 total = 0;
        for (uint256 i = 0; i < count; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0 || dueDates[i] <= block.timestamp) revert GrantFundInvalidMilestone(i);
            total += amount;
        }
        appId = _newApplication($, roundId, round, proposalHash, bytes32(0), total);
        Milestone[] storage milestones = $.milestones[appId];
        for (uint256 i = 0; i < count; ++i) {
            Milestone storage milestone = milestones.push();
            milestone.amount = amounts[i];
            milestone.dueDate = dueDates[i];
            milestone.status = MilestoneStatus.Pending;
        }
    }

    /// @inheritdoc IGrantFund
    function voteOnApplication(uint256 appId, bool support) external whenNotClosed {
        Application storage app = _applicationIn(appId, ApplicationStatus.Pending);
        _requireDecisionOpen(app.roundId, _roundOf(app));
        bytes32 ballotId = _applicationBallot(appId);
        (address member, uint256 yes, uint256 no) = _vote(ballotId, app.subject, support);
        emit ApplicationVoted(appId, member, support, yes, no);
        uint32 needed = app.threshold;
        if (yes >= needed) {
            app.status = ApplicationStatus.Approved;
            emit ApplicationApproved(appId, member, _voters(ballotId, true));
        } else if (no >= needed) {
            app.status = ApplicationStatus.Rejected;
            emit ApplicationRejected(appId, member, _voters(ballotId, false));
        }
    }

    /// @inheritdoc IGrantFund
    function declareConflict(bytes32 subject) external whenNotClosed {
        bytes32 memberSubject = _requireMember(_msgSender());
        if (subject == bytes32(0)) revert GrantFundZeroHash();
        _s().conflicts[memberSubject][subject] = true;
        emit ConflictDeclared(memberSubject, subject, _msgSender());
    }

    /// @inheritdoc IGrantFund
    function award(uint256 appId) external whenNotClosed {
        Application storage app = _applicationIn(appId, ApplicationStatus.Approved);
        uint256 roundId = app.roundId;
        Round storage round = _roundOf(app);
        if (round.closed) revert GrantFundRoundClosed(roundId);
        _requireDecisionOpen(roundId, round);
        _requireEligible(app.subject, round.policyId);
        uint256 available = _available(round);
        if (app.amount > available) revert GrantFundInsufficientBudget(roundId, app.amount, available);

        app.status = ApplicationStatus.Awarded;
        round.committed += app.amount;
        Award storage grant = _awardOf(appId);
        grant.status = AwardStatus.Active;
        grant.awardedAt = uint64(block.timestamp);
        emit AwardMade(appId, _msgSender(), app.subject, roundId, app.amount);
        // Eligibility was just verified: it is observed for rent month 0.
        if (app.months != 0) _checkIn(appId, grant, 0);
    }

    // =================================================================== milestones

    /// @inheritdoc IGrantFund
    function submitMilestone(uint256 appId, uint256 index, bytes32 evidenceHash) external whenNotClosed {
        GrantFundStorage storage $ = _s();
        (Application storage app,) = _activeAward(appId);
        Milestone storage milestone = _milestone(appId, index);
        // Allo #685: the caller must be the grantee itself (its current controller), nobody else.
        if (_activeControllerOf(app.subject) != _msgSender()) {
            revert GrantFundNotGrantee(_msgSender(), app.subject);
        }
        if (evidenceHash == bytes32(0)) revert GrantFundZeroHash();
        MilestoneStatus status = milestone.status;
        if (status != MilestoneStatus.Pending && status != MilestoneStatus.Rejected) {
            revert GrantFundWrongMilestoneStatus(appId, index, status);
        }
        // Allo #71: a rejected submission cannot come back unchanged.
        if ($.rejectedEvidence[appId][index][evidenceHash]) revert GrantFundEvidenceRejected(appId, index, evidenceHash);
        if (block.timestamp > milestone.dueDate) revert GrantFundMilestoneOverdue(appId, index, milestone.dueDate);

        milestone.status = MilestoneStatus.Submitted;
        milestone.evidenceHash = evidenceHash;
        milestone.threshold = $.threshold; // this submission's ballot opens now
        uint32 submission = ++milestone.submissions;
        emit MilestoneSubmitted(appId, index, _msgSender(), evidenceHash, submission);
    }

    /// @inheritdoc IGrantFund
    function voteOnMilestone(uint256 appId, uint256 index, bool approve) external whenNotClosed nonReentrant {
        (Application storage app, Award storage grant) = _activeAward(appId);
        Milestone storage milestone = _milestoneIn(appId, index, MilestoneStatus.Submitted);
        bytes32 ballotId = _milestoneBallot(appId, index, milestone.submissions);
        (address member, uint256 yes, uint256 no) = _vote(ballotId, app.subject, approve);
        emit MilestoneVoted(appId, index, member, approve, yes, no);
        uint32 needed = milestone.threshold;
        if (yes >= needed) {
            milestone.status = MilestoneStatus.Approved;
            emit MilestoneApproved(appId, index, member, _voters(ballotId, true));
            // Payment follows the approval unless paused or the grantee lost eligibility; then
            // it stays Approved and anyone can `payMilestone` later.
            if (!paused() && isEligible(app.subject, _roundOf(app).policyId)) {
                _payMilestone(appId, index, app, grant, milestone);
            }
        } else if (no >= needed) {
            milestone.status = MilestoneStatus.Rejected;
            _s().rejectedEvidence[appId][index][milestone.evidenceHash] = true;
            emit MilestoneRejected(appId, index, member, milestone.evidenceHash, _voters(ballotId, false));
        }
    }

    /// @inheritdoc IGrantFund
    function payMilestone(uint256 appId, uint256 index) external whenOpen nonReentrant {
        (Application storage app, Award storage grant) = _activeAward(appId);
        Milestone storage milestone = _milestoneIn(appId, index, MilestoneStatus.Approved);
        _requireEligible(app.subject, _roundOf(app).policyId);
        _payMilestone(appId, index, app, grant, milestone);
    }

    // =================================================================== rent

    /// @inheritdoc IGrantFund
    function recordRentEligibility(uint256 appId) external whenNotClosed {
        (Application storage app, Award storage grant) = _activeRentAward(appId);
        uint256 month = _currentMonth(grant);
        if (month >= app.months) revert GrantFundNoCurrentRentMonth(appId);
        if (_checkedIn(grant.rentCheckIns, month)) revert GrantFundRentAlreadyCheckedIn(appId, uint16(month));
        uint256 policyId = _roundOf(app).policyId;
        _requireEligible(app.subject, policyId);
        _checkIn(appId, grant, month);
    }

    /// @inheritdoc IGrantFund
    function payRent(uint256 appId) external whenOpen nonReentrant {
        (Application storage app, Award storage grant) = _activeRentAward(appId);
        (uint256 current, uint64 checkIns, bool checkInNow, address payee) = _rentNow(app, grant);
        if (checkInNow) _checkIn(appId, grant, current);
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
        Round storage round = _roundOf(app);
        uint256 paid = app.monthlyAmount * paidMonths;
        uint256 released = app.monthlyAmount * forfeitedMonths;
        if (paid != 0) _bookPayment(grant, round, paid);
        if (released != 0) _release(grant, round, released);
        _emitRentSettled(appId, payee, app.monthlyAmount, first, end, checkIns);
        _completeIfSettled(appId, app, grant);
        if (paid != 0) _s().token.safeTransfer(payee, paid);
    }

    // =================================================================== clawback

    /// @inheritdoc IGrantFund
    function voteClawback(uint256 appId, bytes32 reasonHash) external whenNotClosed {
        (Application storage app, Award storage grant) = _activeAward(appId);
        if (reasonHash == bytes32(0)) revert GrantFundZeroHash();
        bytes32 ballotId = _clawbackBallot(appId);
        uint32 needed = grant.clawbackThreshold;
        if (needed == 0) {
            needed = _s().threshold; // the first clawback vote opens the ballot
            grant.clawbackThreshold = needed;
        }
        (address member, uint256 yes,) = _vote(ballotId, app.subject, true);
        emit ClawbackVoted(appId, member, reasonHash, yes);
        if (yes >= needed) {
            uint256 unpaid = app.amount - grant.paid - grant.released;
            grant.status = AwardStatus.ClawedBack;
            _release(grant, _roundOf(app), unpaid);
            emit AwardClawedBack(appId, member, unpaid, _voters(ballotId, true));
        }
    }

    // =================================================================== views

    /// @inheritdoc IGrantFund
    function token() external view returns (address) {
        return address(_s().token);
    }

    /// @inheritdoc IGrantFund
    function identityRegistry() external view returns (address) {
        return address(_s().identity);
    }

    /// @inheritdoc IGrantFund
    function recordRegistry() external view returns (address) {
        return address(_s().records);
    }

    /// @inheritdoc IGrantFund
    function treasury() external view returns (address) {
        return _s().treasury;
    }

    /// @inheritdoc IGrantFund
    function threshold() external view returns (uint32) {
        return _s().threshold;
    }

    /// @inheritdoc IGrantFund
    function committeeSize() external view returns (uint32) {
        return _s().committeeSize;
    }

    /// @inheritdoc IGrantFund
    function totalDeposited() external view returns (uint256) {
        return _s().totalDeposited;
    }

    /// @inheritdoc IGrantFund
    function totalPaid() external view returns (uint256) {
        return _s().totalPaid;
    }

    /// @inheritdoc IGrantFund
    function totalReturned() external view returns (uint256) {
        return _s().totalReturned;
    }

    /// @inheritdoc IGrantFund
    function roundCount() external view returns (uint256) {
        return _s().roundCount;
    }

    /// @inheritdoc IGrantFund
    function applicationCount() external view returns (uint256) {
        return _s().applicationCount;
    }

    /// @inheritdoc IGrantFund
    function getRound(uint256 roundId) external view returns (Round memory) {
        return _round(roundId);
    }

    /// @inheritdoc IGrantFund
    function applicationsOf(uint256 roundId) external view returns (uint256[] memory) {
        _round(roundId);
        return _s().roundApplications[roundId];
    }

    /// @inheritdoc IGrantFund
    function availableOf(uint256 roundId) external view returns (uint256) {
        Round storage round = _round(roundId);
        return _available(round);
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
        return _expired(app) ? ApplicationStatus.Expired : app.status;
    }

    /// @inheritdoc IGrantFund
    function getAward(uint256 appId) external view returns (Award memory) {
        _application(appId);
        return _awardOf(appId);
    }

    /// @inheritdoc IGrantFund
    function milestoneCount(uint256 appId) external view returns (uint256) {
        _application(appId);
        return _s().milestones[appId].length;
    }

    /// @inheritdoc IGrantFund
    function getMilestone(uint256 appId, uint256 index) external view returns (Milestone memory) {
        _application(appId);
        return _milestone(appId, index);
    }

    /// @inheritdoc IGrantFund
    function isEvidenceRejected(uint256 appId, uint256 index, bytes32 evidenceHash) external view returns (bool) {
        return _s().rejectedEvidence[appId][index][evidenceHash];
    }

    /// @inheritdoc IGrantFund
    function rentDue(uint256 appId) external view returns (RentDue memory due) {
        Application storage app = _application(appId);
        Award storage grant = _awardOf(appId);
        uint16 months = app.months;
        if (grant.status != AwardStatus.Active || months == 0) return due;
        (uint256 current, uint64 checkIns, bool checkInNow, address payee) = _rentNow(app, grant);
        due.currentMonth = current < months ? uint16(current) : months;
        due.currentCheckedIn = current < months && _checkedIn(grant.rentCheckIns, current);
        due.eligibleNow = checkInNow || isEligible(app.subject, _roundOf(app).policyId);
        bool payeeActive = payee != address(0);
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
        appId = _s().leaseHolders[leaseHash];
        reserved = appId != 0 && _holdsLease(appId);
    }

    /// @inheritdoc IGrantFund
    function isConflicted(bytes32 memberSubject, bytes32 subject) public view returns (bool) {
        return memberSubject == subject || _s().conflicts[memberSubject][subject];
    }

    /// @inheritdoc IGrantFund
    function applicationVotes(uint256 appId) external view returns (address[] memory yes, address[] memory no) {
        _application(appId);
        bytes32 ballotId = _applicationBallot(appId);
        return (_voters(ballotId, true), _voters(ballotId, false));
    }

    /// @inheritdoc IGrantFund
    function milestoneVotes(uint256 appId, uint256 index)
        external
        view
        returns (address[] memory yes, address[] memory no)
    {
        _application(appId);
        bytes32 ballotId = _milestoneBallot(appId, index, _milestone(appId, index).submissions);
        return (_voters(ballotId, true), _voters(ballotId, false));
    }

    /// @inheritdoc IGrantFund
    function clawbackVotes(uint256 appId) external view returns (address[] memory yes) {
        _application(appId);
        return _voters(_clawbackBallot(appId), true);
    }

    /// @inheritdoc IGrantFund
    function isCommitteeMember(address account) public view returns (bool) {
        return _hasImmediateRole(CityRoles.FUND_COMMITTEE, account);
    }

    /// @inheritdoc IGrantFund
    function isEligible(bytes32 subject, uint256 policyId) public view returns (bool) {
        return _activeControllerOf(subject) != address(0) && _kindOf(subject) == IIdentityRegistry.Kind.Enterprise
            && _s().records.meetsPolicy(subject, policyId);
    }

    // =================================================================== internals

    function _setCommittee(uint32 threshold_, uint32 committeeSize_) private {
        GrantFundStorage storage $ = _s();
        if (threshold_ < 2 || threshold_ > committeeSize_ || committeeSize_ > MAX_COMMITTEE_SIZE) {
            revert GrantFundInvalidThreshold(threshold_, committeeSize_);
        }
        $.threshold = threshold_;
        $.committeeSize = committeeSize_;
        emit CommitteeSet(_msgSender(), threshold_, committeeSize_);
    }

    function _setTreasury(address newTreasury) private {
        _s().treasury = newTreasury;
        emit TreasurySet(_msgSender(), newTreasury);
    }

    function _newApplication(
        GrantFundStorage storage $,
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
        bytes32 subject = _subjectOf(_msgSender());
        if (subject == bytes32(0)) revert GrantFundUnknownApplicant(_msgSender());
        if (_kindOf(subject) != IIdentityRegistry.Kind.Enterprise) revert GrantFundNotEnterprise(subject);
        _requireEligible(subject, round.policyId);
        if ($.hasApplied[roundId][subject]) revert GrantFundDuplicateApplication(roundId, subject);
        uint256[] storage ids = $.roundApplications[roundId];
        if (ids.length >= MAX_APPLICATIONS_PER_ROUND) revert GrantFundTooManyApplications(roundId);

        appId = ++$.applicationCount;
        $.hasApplied[roundId][subject] = true;
        ids.push(appId);
        Application storage app = $.applications[appId];
        app.roundId = roundId;
        app.subject = subject;
        app.proposalHash = proposalHash;
        app.leaseHash = leaseHash;
        app.amount = amount;
        app.status = ApplicationStatus.Pending;
        app.submittedAt = uint64(block.timestamp);
        app.threshold = $.threshold; // the application's ballot opens now
        emit ApplicationSubmitted(appId, _msgSender(), subject, roundId, proposalHash, amount, leaseHash);
    }

    /// @dev Pays an Approved milestone to the grantee's active controller (the caller checked
    /// that the grantee is eligible, hence Active): every state change first, the transfer last.
    function _payMilestone(
        uint256 appId,
        uint256 index,
        Application storage app,
        Award storage grant,
        Milestone storage milestone
    ) private {
        address payee = _activeControllerOf(app.subject);
        uint256 amount = milestone.amount;
        milestone.status = MilestoneStatus.Paid;
        _bookPayment(grant, _roundOf(app), amount);
        emit MilestonePaid(appId, index, _msgSender(), payee, amount);
        _completeIfSettled(appId, app, grant);
        _s().token.safeTransfer(payee, amount);
    }

    /// @dev Books a payment of `amount` to the grantee of `grant` (the transfer follows).
    function _bookPayment(Award storage grant, Round storage round, uint256 amount) private {
        grant.paid += amount;
        round.paid += amount;
        _s().totalPaid += amount;
    }

    /// @dev Releases `amount` of an award back to its round (forfeited months, clawbacks).
    function _release(Award storage grant, Round storage round, uint256 amount) private {
        grant.released += amount;
        round.committed -= amount;
    }

    /// @dev Sends what a closed round holds beyond what it still owes to the treasury.
    function _returnUnspent(uint256 roundId, Round storage round) private returns (bool returned) {
        GrantFundStorage storage $ = _s();
        uint256 unspent = _available(round);
        if (unspent == 0) return false;
        round.returned += unspent;
        $.totalReturned += unspent;
        address to = $.treasury;
        emit FundsReturned(roundId, _msgSender(), to, unspent);
        $.token.safeTransfer(to, unspent);
        return true;
    }

    function _completeIfSettled(uint256 appId, Application storage app, Award storage grant) private {
        if (grant.paid + grant.released == app.amount) {
            grant.status = AwardStatus.Completed;
            emit AwardCompleted(appId, _msgSender());
        }
    }

    /// @dev The identity registry's answers, one call site each (bytecode size). An identity is
    /// Active exactly when it has an active controller.
    function _activeControllerOf(bytes32 subject) private view returns (address) {
        return _s().identity.activeControllerOf(subject);
    }

    function _subjectOf(address account) private view returns (bytes32) {
        return _s().identity.subjectOf(account);
    }

    function _kindOf(bytes32 subject) private view returns (IIdentityRegistry.Kind) {
        return _s().identity.kindOf(subject);
    }

    function _requireEligible(bytes32 subject, uint256 policyId) private view {
        if (!isEligible(subject, policyId)) revert GrantFundIneligible(subject, policyId);
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

    /// @dev The rent award's state as `payRent` sees it now: the current month, the check-ins
    /// counting the one `payRent` makes for an unobserved current month of a grantee eligible
    /// now (`checkInNow`), and the payee (zero while the grantee's identity is not Active).
    function _rentNow(Application storage app, Award storage grant)
        private
        view
        returns (uint256 current, uint64 checkIns, bool checkInNow, address payee)
    {
        current = _currentMonth(grant);
        checkIns = grant.rentCheckIns;
        checkInNow = current < app.months && !_checkedIn(checkIns, current)
            && isEligible(app.subject, _roundOf(app).policyId);
        if (checkInNow) checkIns |= uint64(1) << current;
        payee = _activeControllerOf(app.subject);
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
                    emit RentPaid(appId, _msgSender(), payee, uint16(runStart), count, monthlyAmount * count);
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
        Application storage app = _s().applications[appId];
        ApplicationStatus status = app.status;
        if (status == ApplicationStatus.Awarded) return _awardOf(appId).status == AwardStatus.Active;
        return (status == ApplicationStatus.Pending || status == ApplicationStatus.Approved) && !_expired(app);
    }

    /// @dev True for an undecided or unawarded (Pending or Approved) application whose round
    /// closed or whose decision deadline passed: it lapsed.
    function _expired(Application storage app) private view returns (bool) {
        ApplicationStatus status = app.status;
        if (status != ApplicationStatus.Pending && status != ApplicationStatus.Approved) return false;
        Round storage round = _roundOf(app);
        return round.closed || block.timestamp > round.decisionDeadline;
    }

    /// @dev Who voted yes (`approvals`) or no on a ballot.
    function _voters(bytes32 ballotId, bool approvals) private view returns (address[] memory) {
        Ballot storage ballot = _s().ballots[ballotId];
        return approvals ? ballot.approvals : ballot.rejections;
    }

    /// @dev Records the caller's vote on `ballotId`, a question about `subject`: the caller must
    /// be a committee member whose identity is neither `subject` nor declared conflicted with
    /// it, and may vote once. Returns the voter and the tallies. Both lists are bounded by
    /// MAX_COMMITTEE_SIZE (see {Ballot}), so the scan is bounded.
    function _vote(bytes32 ballotId, bytes32 subject, bool support)
        private
        returns (address member, uint256 yes, uint256 no)
    {
        member = _msgSender();
        if (isConflicted(_requireMember(member), subject)) revert GrantFundConflictOfInterest(member, subject);
        Ballot storage ballot = _s().ballots[ballotId];
        if (_contains(ballot.approvals, member) || _contains(ballot.rejections, member)) {
            revert GrantFundAlreadyVoted(member);
        }
        (support ? ballot.approvals : ballot.rejections).push(member);
        (yes, no) = (ballot.approvals.length, ballot.rejections.length);
    }

    function _contains(address[] storage list, address account) private view returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i] == account) return true;
        }
        return false;
    }

    /// @dev The Active identity controlled by committee member `member`.
    function _requireMember(address member) private view returns (bytes32 memberSubject) {
        if (!isCommitteeMember(member)) revert GrantFundNotCommitteeMember(member);
        memberSubject = _subjectOf(member);
        if (memberSubject == bytes32(0) || _activeControllerOf(memberSubject) == address(0)) {
            revert GrantFundMemberWithoutIdentity(member);
        }
    }

    /// @dev The round an application belongs to.
    function _roundOf(Application storage app) private view returns (Round storage) {
        return _s().rounds[app.roundId];
    }

    /// @dev What a round can still award: deposited, not committed, not returned.
    function _available(Round storage round) private view returns (uint256) {
        return round.deposited - round.committed - round.returned;
    }

    function _round(uint256 roundId) private view returns (Round storage round) {
        round = _s().rounds[roundId];
        if (round.budget == 0) revert GrantFundUnknownRound(roundId);
    }

    /// @dev Round `roundId`, which must be a rent round (`rent`) or a milestone round (not `rent`).
    function _roundOfKind(uint256 roundId, bool rent) private view returns (Round storage round) {
        round = _round(roundId);
        if ((round.kind == RoundKind.RentSubsidy) != rent) revert GrantFundWrongRoundKind(roundId, round.kind);
    }

    function _openRound(uint256 roundId) private view returns (Round storage round) {
        round = _round(roundId);
        if (round.closed) revert GrantFundRoundClosed(roundId);
    }

    function _application(uint256 appId) private view returns (Application storage app) {
        app = _s().applications[appId];
        if (app.status == ApplicationStatus.None) revert GrantFundUnknownApplication(appId);
    }

    /// @dev Application `appId`, which must be in `status`.
    function _applicationIn(uint256 appId, ApplicationStatus status) private view returns (Application storage app) {
        app = _application(appId);
        if (app.status != status) revert GrantFundWrongApplicationStatus(appId, app.status);
    }

    /// @dev The committee may still decide on (and award in) the round.
    function _requireDecisionOpen(uint256 roundId, Round storage round) private view {
        if (block.timestamp > round.decisionDeadline) revert GrantFundDecisionClosed(roundId, round.decisionDeadline);
    }

    /// @dev The award stored for `appId` (status None when there is none).
    function _awardOf(uint256 appId) private view returns (Award storage) {
        return _s().awards[appId];
    }

    function _activeAward(uint256 appId) private view returns (Application storage app, Award storage grant) {
        app = _application(appId);
        grant = _awardOf(appId);
        if (grant.status != AwardStatus.Active) revert GrantFundAwardNotActive(appId, grant.status);
    }

    function _activeRentAward(uint256 appId) private view returns (Application storage app, Award storage grant) {
        (app, grant) = _activeAward(appId);
        RoundKind kind = _roundOf(app).kind;
        if (kind != RoundKind.RentSubsidy) revert GrantFundWrongAwardKind(appId, kind);
    }

    function _milestone(uint256 appId, uint256 index) private view returns (Milestone storage) {
        Milestone[] storage milestones = _s().milestones[appId];
        if (index >= milestones.length) revert GrantFundUnknownMilestone(appId, index);
        return milestones[index];
    }

    /// @dev Milestone `index` of `appId`, which must be in `status`.
    function _milestoneIn(uint256 appId, uint256 index, MilestoneStatus status)
        private
        view
        returns (Milestone storage milestone)
    {
        milestone = _milestone(appId, index);
        if (milestone.status != status) revert GrantFundWrongMilestoneStatus(appId, index, milestone.status);
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

    function _s() private pure returns (GrantFundStorage storage $) {
        assembly {
            $.slot := GRANT_FUND_STORAGE
        }
    }
}
