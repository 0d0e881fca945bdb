// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IGrantFund
/// @notice The city's grant fund: rounds of rent subsidies, research subsidies and project grants
/// paid in CityToken to enterprises that meet a standing policy of the record registry, decided
/// M-of-N by the fund committee.
/// @dev Identifiers: rounds and applications are numbered from 1. An award keeps the id of the
/// application it was made on (`appId`), so "award 3" is "application 3, awarded".
interface IGrantFund {
    // ------------------------------------------------------------------ types

    /// @notice What a round pays for. Rent rounds pay a monthly amount for K months; research
    /// and project rounds pay per approved milestone.
    enum RoundKind {
        RentSubsidy,
        ResearchSubsidy,
        ProjectGrant
    }

    /// @notice Lifecycle of an application. `Expired` is never stored: `applicationStatus`
    /// reports it for a Pending or Approved application whose decision deadline has passed.
    enum ApplicationStatus {
        None,
        Pending,
        Approved,
        Rejected,
        Awarded,
        Expired
    }

    /// @notice Lifecycle of an award.
    enum AwardStatus {
        None,
        Active,
        Completed,
        ClawedBack
    }

    /// @notice Lifecycle of a milestone of a research/project award. A Rejected milestone goes
    /// back to Submitted only with an evidence hash that was never rejected for it.
    enum MilestoneStatus {
        None,
        Pending,
        Submitted,
        Rejected,
        Approved,
        Paid
    }

    /// @notice What a fund manager opens a round with (`createRound`).
    struct RoundTerms {
        /// Public label of the round.
        string name;
        /// Rent subsidy, research subsidy or project grant.
        RoundKind kind;
        /// Record-registry policy (must exist) applicants must meet when applying, at award and
        /// at every payout.
        uint256 policyId;
        /// Cap on deposits; awards are limited to what has been deposited.
        uint256 budget;
        /// First second applications are accepted.
        uint64 opensAt;
        /// Last second applications are accepted.
        uint64 closesAt;
        /// Last second the committee may vote on applications and awards be made.
        uint64 decisionDeadline;
    }

    /// @notice What a rent application asks for (`applyForRent`), next to its round and proposal.
    struct RentTerms {
        /// Content hash of the lease document subsidised; a lease backs at most one live rent
        /// application or active rent award at a time, across all rounds.
        bytes32 leaseHash;
        /// Subsidy paid each month.
        uint256 monthlyAmount;
        /// Number of months subsidised (1 to 60, the fund's MAX_RENT_MONTHS).
        uint16 months;
    }

    /// @notice A grant round and its money. All amounts are CityToken base units.
    /// @dev `committed` = awarded − released (released = forfeited rent months + clawbacks),
    /// so what the round still owes is `committed − paid`; what it holds is
    /// `deposited − paid − returned`; what it can still award is `deposited − committed − returned`.
    struct Round {
        string name;
        RoundKind kind;
        bool closed;
        uint64 opensAt;
        uint64 closesAt;
        uint64 decisionDeadline;
        uint256 policyId;
        uint256 budget;
        uint256 deposited;
        uint256 committed;
        uint256 paid;
        uint256 returned;
    }

    /// @notice An enterprise's application. `leaseHash`, `monthlyAmount` and `months` are set for
    /// rent rounds only. `threshold` is the committee threshold (M) in force when it was
    /// submitted: the number of yes (or no) votes that decide it, whatever M becomes later.
    struct Application {
        uint256 roundId;
        bytes32 subject;
        bytes32 proposalHash;
        bytes32 leaseHash;
        uint256 amount;
        uint256 monthlyAmount;
        uint16 months;
        ApplicationStatus status;
        uint64 submittedAt;
        uint32 threshold;
    }

    /// @notice The money state of an award. Rent month `i` (0-based) covers
    /// [awardedAt + i * MONTH, awardedAt + (i + 1) * MONTH); `monthsSettled` counts months paid or
    /// forfeited (in order); bit `i` of `rentCheckIns` is set when the grantee's eligibility was
    /// recorded during month `i`. `clawbackThreshold` is the threshold (M) in force at the first
    /// clawback vote (0 while nobody has voted to claw the award back).
    struct Award {
        AwardStatus status;
        uint64 awardedAt;
        uint16 monthsSettled;
        uint64 rentCheckIns;
        uint32 clawbackThreshold;
        uint256 paid;
        uint256 released;
    }

    /// @notice One milestone of a research/project award. `threshold` is the committee threshold
    /// (M) in force when its current submission was made (each submission is its own ballot).
    struct Milestone {
        uint256 amount;
        uint64 dueDate;
        MilestoneStatus status;
        uint32 submissions;
        uint32 threshold;
        bytes32 evidenceHash;
    }

    /// @notice Votes on one question (an application, one milestone submission, a clawback).
    /// @dev Each list stays below the question's threshold until the decision, so it holds at
    /// most MAX_COMMITTEE_SIZE addresses.
    struct Ballot {
        address[] approvals;
        address[] rejections;
    }

    /// @notice What `payRent` would settle now, and the state of the current rent month.
    /// @dev `payableMonths` / `forfeitableMonths`: months `payRent` would pay / forfeit now (in
    /// order from `monthsSettled`, counting the check-in it would make for the current month when
    /// the grantee is eligible now). `currentMonth`: the 0-based month whose window contains now,
    /// or the term's length once its last month has ended. `waitingMonths`: checked-in months
    /// that cannot be paid while the grantee's identity is not Active (nothing is forfeited
    /// meanwhile). `nextDueAt`: when the current month's window ends (0 after the term).
    struct RentDue {
        uint16 payableMonths;
        uint256 payableAmount;
        uint16 forfeitableMonths;
        uint256 forfeitableAmount;
        uint16 currentMonth;
        bool currentCheckedIn;
        bool eligibleNow;
        uint16 waitingMonths;
        uint64 nextDueAt;
    }

    // ------------------------------------------------------------------ events
    // Every event: the object's id(s) first (indexed), then `operator` (the account acting,
    // indexed), then the data fields.

    /// @notice The committee's vote threshold (M) and declared size (N) were set.
    event CommitteeSet(address indexed operator, uint32 threshold, uint32 committeeSize);

    /// @notice The wallet receiving unspent budgets was changed.
    event TreasurySet(address indexed operator, address indexed treasury);

    /// @notice A fund manager opened a round.
    event RoundCreated(
        uint256 indexed roundId,
        address indexed operator,
        RoundKind kind,
        uint256 policyId,
        uint256 budget,
        uint64 opensAt,
        uint64 closesAt,
        uint64 decisionDeadline,
        string name
    );

    /// @notice `operator` deposited `amount` into a round.
    event RoundFunded(uint256 indexed roundId, address indexed operator, uint256 amount);

    /// @notice A fund manager closed a round: no more deposits, applications or awards.
    event RoundClosed(uint256 indexed roundId, address indexed operator);

    /// @notice Unspent budget of a closed round went back to the treasury.
    event FundsReturned(
        uint256 indexed roundId, address indexed operator, address indexed treasury, uint256 amount
    );

    /// @notice An enterprise applied; `leaseHash` names the subsidised lease (rent rounds; zero
    /// for research/project rounds).
    event ApplicationSubmitted(
        uint256 indexed appId,
        address indexed operator,
        bytes32 indexed subject,
        uint256 roundId,
        bytes32 proposalHash,
        uint256 amount,
        bytes32 leaseHash
    );

    /// @notice Committee member `operator` voted on an application.
    event ApplicationVoted(
        uint256 indexed appId, address indexed operator, bool support, uint256 approvals, uint256 rejections
    );

    /// @notice The M-th yes vote approved an application; `approvers` are every member who said yes.
    event ApplicationApproved(uint256 indexed appId, address indexed operator, address[] approvers);

    /// @notice The M-th no vote rejected an application; `rejecters` are every member who said no.
    event ApplicationRejected(uint256 indexed appId, address indexed operator, address[] rejecters);

    /// @notice An approved application became an award, reserving `amount` of the round's budget.
    event AwardMade(
        uint256 indexed appId, address indexed operator, bytes32 indexed subject, uint256 roundId, uint256 amount
    );

    /// @notice Every unit of an award was paid or released.
    event AwardCompleted(uint256 indexed appId, address indexed operator);

    /// @notice The grantee submitted evidence for a milestone.
    event MilestoneSubmitted(
        uint256 indexed appId, uint256 indexed index, address indexed operator, bytes32 evidenceHash, uint32 submission
    );

    /// @notice Committee member `operator` voted on a milestone submission.
    event MilestoneVoted(
        uint256 indexed appId,
        uint256 indexed index,
        address indexed operator,
        bool approve,
        uint256 approvals,
        uint256 rejections
    );

    /// @notice The M-th yes vote approved a milestone submission.
    event MilestoneApproved(
        uint256 indexed appId, uint256 indexed index, address indexed operator, address[] approvers
    );

    /// @notice The M-th no vote rejected a milestone submission; `evidenceHash` can never be resubmitted.
    event MilestoneRejected(
        uint256 indexed appId,
        uint256 indexed index,
        address indexed operator,
        bytes32 evidenceHash,
        address[] rejecters
    );

    /// @notice An approved milestone was paid to the grantee's current controller.
    event MilestonePaid(
        uint256 indexed appId, uint256 indexed index, address indexed operator, address payee, uint256 amount
    );

    /// @notice The grantee was eligible at a check-in during rent month `month`: that month is owed.
    event RentEligibilityRecorded(uint256 indexed appId, uint16 indexed month, address indexed operator);

    /// @notice Checked-in rent months were paid to the grantee's current (active) controller.
    event RentPaid(
        uint256 indexed appId,
        address indexed operator,
        address indexed payee,
        uint16 firstMonth,
        uint16 monthCount,
        uint256 amount
    );

    /// @notice Rent months whose windows ended without an eligibility check-in were forfeited
    /// (released to the round).
    event RentPaymentSkipped(
        uint256 indexed appId, address indexed operator, uint16 firstMonth, uint16 monthCount, uint256 amount
    );

    /// @notice The fund manager recorded (`conflicted`) or cleared a conflict of interest between a
    /// committee member's identity and another identity in the register of interests.
    event ConflictSet(
        bytes32 indexed memberSubject, bytes32 indexed subject, address indexed operator, bool conflicted
    );

    /// @notice A committee member recused itself from every matter of `subject`.
    event ConflictDeclared(bytes32 indexed memberSubject, bytes32 indexed subject, address indexed operator);

    /// @notice Committee member `operator` voted to claw an award back.
    event ClawbackVoted(uint256 indexed appId, address indexed operator, bytes32 reasonHash, uint256 approvals);

    /// @notice The M-th clawback vote ended an award; its unpaid remainder returned to the round.
    event AwardClawedBack(uint256 indexed appId, address indexed operator, uint256 released, address[] approvers);

    // ------------------------------------------------------------------ errors

    /// @notice A zero address was given where a contract or wallet is required.
    error GrantFundZeroAddress();
    /// @notice A zero hash was given where a proposal/evidence/reason hash is required.
    error GrantFundZeroHash();
    /// @notice A zero amount was given.
    error GrantFundZeroAmount();
    /// @notice M must satisfy 2 <= M <= N <= MAX_COMMITTEE_SIZE (no single member decides).
    error GrantFundInvalidThreshold(uint32 threshold, uint32 committeeSize);
    /// @notice Round times must satisfy now < closesAt, opensAt < closesAt <= decisionDeadline.
    error GrantFundInvalidSchedule(uint64 opensAt, uint64 closesAt, uint64 decisionDeadline);
    /// @notice The record registry has no such standing policy.
    error GrantFundUnknownPolicy(uint256 policyId);
    /// @notice No such round.
    error GrantFundUnknownRound(uint256 roundId);
    /// @notice The round is closed.
    error GrantFundRoundClosed(uint256 roundId);
    /// @notice The round is still open.
    error GrantFundRoundNotClosed(uint256 roundId);
    /// @notice The round's decision deadline has not passed yet.
    error GrantFundDecisionPending(uint256 roundId, uint64 decisionDeadline);
    /// @notice The round's decision deadline has passed.
    error GrantFundDecisionClosed(uint256 roundId, uint64 decisionDeadline);
    /// @notice A deposit would take the round over its declared budget.
    error GrantFundOverfunded(uint256 roundId, uint256 amount, uint256 room);
    /// @notice Nothing is left to return to the treasury.
    error GrantFundNothingToReturn(uint256 roundId);
    /// @notice The round is not taking applications now.
    error GrantFundApplicationsNotOpen(uint256 roundId, uint64 opensAt, uint64 closesAt);
    /// @notice The round already holds MAX_APPLICATIONS_PER_ROUND applications.
    error GrantFundTooManyApplications(uint256 roundId);
    /// @notice The application's form does not match the round's kind.
    error GrantFundWrongRoundKind(uint256 roundId, RoundKind kind);
    /// @notice This account controls no identity: only registered enterprises apply.
    error GrantFundUnknownApplicant(address account);
    /// @notice Only enterprises apply.
    error GrantFundNotEnterprise(bytes32 subject);
    /// @notice The enterprise is not active or does not meet the round's eligibility policy.
    error GrantFundIneligible(bytes32 subject, uint256 policyId);
    /// @notice This enterprise already applied to this round.
    error GrantFundDuplicateApplication(uint256 roundId, bytes32 subject);
    /// @notice The requested amount is above the round's budget.
    error GrantFundRequestExceedsBudget(uint256 requested, uint256 budget);
    /// @notice A rent request must last 1..MAX_RENT_MONTHS months.
    error GrantFundInvalidRentTerm(uint16 months);
    /// @notice A grant request needs 1..MAX_MILESTONES milestones and equal-length arrays.
    error GrantFundInvalidMilestoneCount(uint256 amounts, uint256 dueDates);
    /// @notice A milestone has a zero amount or a due date in the past.
    error GrantFundInvalidMilestone(uint256 index);
    /// @notice No such application.
    error GrantFundUnknownApplication(uint256 appId);
    /// @notice The application is not in the status this action needs.
    error GrantFundWrongApplicationStatus(uint256 appId, ApplicationStatus status);
    /// @notice The round's funded, unawarded budget (available) is less than requested.
    error GrantFundInsufficientBudget(uint256 roundId, uint256 requested, uint256 available);
    /// @notice This account is not a fund committee member (or its FUND_COMMITTEE role has an
    /// execution delay, which committee votes do not support).
    error GrantFundNotCommitteeMember(address account);
    /// @notice This member already voted on this question.
    error GrantFundAlreadyVoted(address member);
    /// @notice This member's identity is, or is declared conflicted with, the identity concerned.
    error GrantFundConflictOfInterest(address member, bytes32 subject);
    /// @notice This committee member controls no Active identity: conflicts of interest are judged
    /// by identity, so a member votes only through the Active identity it controls.
    error GrantFundMemberWithoutIdentity(address member);
    /// @notice This lease already backs a live rent application or an active rent award.
    error GrantFundLeaseInUse(bytes32 leaseHash, uint256 appId);
    /// @notice The award is not active.
    error GrantFundAwardNotActive(uint256 appId, AwardStatus status);
    /// @notice Only the grantee's current controller, while the grantee is active, may submit its milestones.
    error GrantFundNotGrantee(address account, bytes32 subject);
    /// @notice The award pays by milestones, not monthly (or the reverse).
    error GrantFundWrongAwardKind(uint256 appId, RoundKind kind);
    /// @notice No such milestone.
    error GrantFundUnknownMilestone(uint256 appId, uint256 index);
    /// @notice The milestone is not in the status this action needs.
    error GrantFundWrongMilestoneStatus(uint256 appId, uint256 index, MilestoneStatus status);
    /// @notice This evidence was already rejected for this milestone: submit different evidence.
    error GrantFundEvidenceRejected(uint256 appId, uint256 index, bytes32 evidenceHash);
    /// @notice The milestone's due date has passed: it can no longer be submitted.
    error GrantFundMilestoneOverdue(uint256 appId, uint256 index, uint64 dueDate);
    /// @notice No rent month can be settled now (the current month's window ends at nextDueAt).
    error GrantFundNothingDue(uint256 appId, uint64 nextDueAt);
    /// @notice The award's rent term has ended: there is no current month to check in.
    error GrantFundNoCurrentRentMonth(uint256 appId);
    /// @notice The grantee's eligibility is already recorded for this rent month.
    error GrantFundRentAlreadyCheckedIn(uint256 appId, uint16 month);
    /// @notice The next rent month to settle is owed, but the grantee's identity is not Active:
    /// the payment waits until it is (nothing is forfeited).
    error GrantFundGranteeNotActive(uint256 appId, bytes32 subject);

    // ------------------------------------------------------------------ admin (restricted)

    /// @notice Sets the committee's vote threshold M and its declared size N (2 <= M <= N).
    function setCommittee(uint32 newThreshold, uint32 newCommitteeSize) external;

    /// @notice Sets the wallet that receives unspent budgets of closed rounds.
    function setTreasury(address newTreasury) external;

    /// @notice Records (or clears) in the register of interests that the committee member
    /// controlling `memberSubject` may not vote on matters of `subject` (fund manager).
    function setConflict(bytes32 memberSubject, bytes32 subject, bool conflicted) external;

    // ------------------------------------------------------------------ rounds

    /// @notice Opens a round (fund manager).
    /// @param terms The round's name, kind, policy, budget and schedule (see {RoundTerms}).
    /// @return roundId The new round's id.
    function createRound(RoundTerms calldata terms) external returns (uint256 roundId);

    /// @notice Pulls `amount` CityToken from the caller into a round (caller must approve first).
    function fundRound(uint256 roundId, uint256 amount) external;

    /// @notice Closes a round after its decision deadline and returns its unspent budget to the treasury.
    /// Awards made in the round stay payable.
    function closeRound(uint256 roundId) external;

    /// @notice Returns money released in a closed round since it closed (forfeits, clawbacks) to the treasury.
    function sweep(uint256 roundId) external;

    // ------------------------------------------------------------------ applications and awards

    /// @notice Applies to a rent-subsidy round for `rent.monthlyAmount` during `rent.months` months.
    /// @param rent The lease and the subsidy asked for (see {RentTerms}).
    /// @return appId The new application's id.
    function applyForRent(uint256 roundId, bytes32 proposalHash, RentTerms calldata rent)
        external
        returns (uint256 appId);

    /// @notice Applies to a research/project round; milestone `i` pays `amounts[i]` and its evidence
    /// must be submitted by `dueDates[i]`. The requested amount is the sum of `amounts`.
    /// @return appId The new application's id.
    function applyForGrant(
        uint256 roundId,
        bytes32 proposalHash,
        uint256[] calldata amounts,
        uint64[] calldata dueDates
    ) external returns (uint256 appId);

    /// @notice A committee member's yes/no on an application, before the round's decision deadline.
    function voteOnApplication(uint256 appId, bool support) external;

    /// @notice The calling committee member recuses itself from every matter of `subject` (it
    /// cannot undo this; only the fund manager maintains the register).
    function declareConflict(bytes32 subject) external;

    /// @notice Turns an approved application into an award (anyone), reserving its amount.
    function award(uint256 appId) external;

    // ------------------------------------------------------------------ milestones

    /// @notice The grantee's current controller submits evidence for milestone `index`.
    function submitMilestone(uint256 appId, uint256 index, bytes32 evidenceHash) external;

    /// @notice A committee member's yes/no on a milestone submission. The M-th yes approves it and
    /// pays it at once unless the fund is paused or the grantee is no longer eligible.
    function voteOnMilestone(uint256 appId, uint256 index, bool approve) external;

    /// @notice Pays an approved milestone whose payment was deferred (anyone).
    function payMilestone(uint256 appId, uint256 index) external;

    // ------------------------------------------------------------------ rent

    /// @notice Records that the grantee is eligible now, for the current month of a rent award
    /// (anyone; also while the fund is paused).
    function recordRentEligibility(uint256 appId) external;

    /// @notice Settles rent months in order (anyone), checking the current month in first when the
    /// grantee is eligible: a checked-in month is paid to the grantee's active controller (the
    /// payment waits while its identity is not Active), a month whose window ended without a
    /// check-in is forfeited to the round, the current month without a check-in stays pending.
    function payRent(uint256 appId) external;

    // ------------------------------------------------------------------ clawback

    /// @notice A committee member's vote to end an award; the M-th vote releases its unpaid remainder.
    /// @param reasonHash Hash of the off-chain reasoning/evidence for the clawback.
    function voteClawback(uint256 appId, bytes32 reasonHash) external;

    // ------------------------------------------------------------------ views

    /// @notice The settlement token (CityToken).
    function token() external view returns (address);

    /// @notice The identity registry read for applicants and payees.
    function identityRegistry() external view returns (address);

    /// @notice The record registry whose policies decide eligibility.
    function recordRegistry() external view returns (address);

    /// @notice Where unspent budgets go.
    function treasury() external view returns (address);

    /// @notice Votes needed to decide the questions put to the committee from now on (M); each
    /// question keeps the threshold in force when its ballot opened.
    function threshold() external view returns (uint32);

    /// @notice Declared committee size (N).
    function committeeSize() external view returns (uint32);

    /// @notice Every deposit ever made.
    function totalDeposited() external view returns (uint256);

    /// @notice Every payment to grantees ever made.
    function totalPaid() external view returns (uint256);

    /// @notice Every return to the treasury ever made.
    function totalReturned() external view returns (uint256);

    /// @notice Number of rounds created.
    function roundCount() external view returns (uint256);

    /// @notice Number of applications submitted.
    function applicationCount() external view returns (uint256);

    /// @notice A round.
    function getRound(uint256 roundId) external view returns (Round memory);

    /// @notice Ids of a round's applications (at most MAX_APPLICATIONS_PER_ROUND).
    function applicationsOf(uint256 roundId) external view returns (uint256[] memory);

    /// @notice Funded and not yet awarded (what new awards can still take).
    function availableOf(uint256 roundId) external view returns (uint256);

    /// @notice Awarded and not yet paid nor released.
    function owedOf(uint256 roundId) external view returns (uint256);

    /// @notice Tokens the fund holds for a round (deposited − paid − returned).
    function heldOf(uint256 roundId) external view returns (uint256);

    /// @notice An application.
    function getApplication(uint256 appId) external view returns (Application memory);

    /// @notice An application's status, reporting `Expired` for undecided or unawarded ones past the deadline.
    function applicationStatus(uint256 appId) external view returns (ApplicationStatus);

    /// @notice The money state of an award.
    function getAward(uint256 appId) external view returns (Award memory);

    /// @notice Number of milestones of a research/project application.
    function milestoneCount(uint256 appId) external view returns (uint256);

    /// @notice One milestone.
    function getMilestone(uint256 appId, uint256 index) external view returns (Milestone memory);

    /// @notice True when `evidenceHash` was rejected for that milestone.
    function isEvidenceRejected(uint256 appId, uint256 index, bytes32 evidenceHash) external view returns (bool);

    /// @notice What `payRent` would pay and forfeit now, and the current month's check-in.
    function rentDue(uint256 appId) external view returns (RentDue memory);

    /// @notice The application that last reserved `leaseHash`, and whether it still holds it (a
    /// live application or an active award).
    function leaseHolder(bytes32 leaseHash) external view returns (uint256 appId, bool reserved);

    /// @notice True when the member controlling `memberSubject` may not vote on matters of
    /// `subject`: it is the same identity, or the register of interests says so.
    function isConflicted(bytes32 memberSubject, bytes32 subject) external view returns (bool);

    /// @notice Members who voted yes / no on an application.
    function applicationVotes(uint256 appId) external view returns (address[] memory yes, address[] memory no);

    /// @notice Members who voted yes / no on the current submission of a milestone.
    function milestoneVotes(uint256 appId, uint256 index)
        external
        view
        returns (address[] memory yes, address[] memory no);

    /// @notice Members who voted to claw an award back.
    function clawbackVotes(uint256 appId) external view returns (address[] memory);

    /// @notice True when `account` holds FUND_COMMITTEE now, without execution delay.
    function isCommitteeMember(address account) external view returns (bool);

    /// @notice True when `subject` is an active enterprise meeting policy `policyId`.
    function isEligible(bytes32 subject, uint256 policyId) external view returns (bool);
}
