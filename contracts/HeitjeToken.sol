// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/**
 * @title Heerlens Heitje
 * @notice Closed-loop municipal currency: 1 HEITJE = 1 euro, 2 decimals (1 unit = 1 euro cent).
 *
 * Citizens earn Heitjes for approved public-space tasks (at most `yearlyCap` per person per civil year in
 * Europe/Amsterdam), spend them at enrolled merchants, and merchants cash them in for euros through a
 * two-phase settlement: tokens go into escrow (this contract's own balance) and are burned only against a
 * bank payment reference.
 *
 * All movement policy lives in {_update}. Value-moving actions of custodial accounts arrive as EIP-712
 * authorizations with unordered nonces (a bitmap per signer, as in Permit2), submitted by the
 * municipality's relayer, so that custodial accounts never need gas.
 *
 * The contract holds no personal data: a citizen is known only by a pseudonymous `citizenId`.
 */
contract HeitjeToken is ERC20, AccessControlDefaultAdminRules, EIP712 {
    // ───────────────────────────── roles ─────────────────────────────
    /// @notice Enrols, suspends and reinstates participants.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Mints rewards for approved tasks.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Settles (burns) or rejects redemption requests.
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    /// @notice Pauses and unpauses every movement.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Moves a lost account's balance and identity to a replacement address.
    bytes32 public constant RECOVERY_ROLE = keccak256("RECOVERY_ROLE");

    bytes32 private constant _TRANSFER_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,uint256 nonce,bytes32 paymentRef)"
    );
    bytes32 private constant _REDEMPTION_TYPEHASH = keccak256(
        "RedemptionWithAuthorization(address merchant,uint256 value,uint256 validAfter,uint256 validBefore,uint256 nonce,bytes32 payoutId)"
    );

    /// @notice Default yearly cap: 1,500.00 Heitjes.
    uint128 public constant DEFAULT_YEARLY_CAP = 150_000;

    // ───────────────────────────── types ─────────────────────────────
    enum Kind {
        None,
        Citizen,
        Merchant
    }

    enum RedemptionStatus {
        None,
        Pending,
        Settled,
        Rejected
    }

    /// One storage slot per address: kind, suspension and the internal person index the cap is counted on.
    struct Account {
        Kind kind;
        bool suspended;
        uint64 person;
    }

    /// One storage slot per payout id.
    struct Redemption {
        address merchant;
        uint88 amount;
        RedemptionStatus status;
    }

    /// Read together by every mint and movement, so packed in one slot.
    struct Config {
        uint128 yearlyCap;
        bool paused;
    }

    /// Which internal path is moving tokens right now; {_update} allows escrow movements only inside one.
    enum Movement {
        Ordinary,
        Redeem,
        Release,
        Settle,
        Recover
    }

    // ───────────────────────────── errors ────────────────────────────
    error HeitjePaused();
    error HeitjeNotPaused();
    error HeitjeZeroAmount();
    error HeitjeZeroCitizenId();
    error HeitjeInvalidAddress(address account);
    error HeitjeAlreadyEnrolled(address account);
    error HeitjeNotEnrolled(address account);
    error HeitjeNotCitizen(address account);
    error HeitjeNotMerchant(address account);
    error HeitjeAccountSuspended(address account);
    error HeitjeAccountNotSuspended(address account);
    error HeitjeTaskAlreadyRewarded(uint256 taskId);
    error HeitjeYearlyCapExceeded(bytes32 citizenId, uint256 year, uint256 minted, uint256 cap);
    error HeitjeInvalidYearlyCap(uint256 cap);
    error HeitjeMovementNotAllowed(address from, address to);
    error HeitjeAuthorizationNotYetValid(uint256 validAfter, uint256 timestamp);
    error HeitjeAuthorizationExpired(uint256 validBefore, uint256 timestamp);
    error HeitjeAuthorizationAlreadyUsed(address authorizer, uint256 nonce);
    error HeitjeInvalidSigner(address expected, address recovered);
    error HeitjeRedemptionExists(bytes32 payoutId);
    error HeitjeRedemptionNotPending(bytes32 payoutId);
    error HeitjeMissingPayoutId();
    error HeitjeMissingBankReference(bytes32 payoutId);
    error HeitjeAmountTooLarge(uint256 amount);
    error HeitjeLengthMismatch();

    // ───────────────────────────── events ────────────────────────────
    event CitizenEnrolled(address indexed account, bytes32 indexed citizenId);
    event MerchantEnrolled(address indexed account);
    event ParticipantSuspended(address indexed account);
    event ParticipantReinstated(address indexed account);
    event TaskRewarded(uint256 indexed taskId, address indexed citizen, uint256 amount);
    event PaymentMade(
        address indexed citizen, address indexed merchant, bytes32 indexed paymentRef, uint256 amount, uint256 nonce
    );
    event RefundMade(
        address indexed merchant, address indexed citizen, bytes32 indexed paymentRef, uint256 amount, uint256 nonce
    );
    event RedemptionRequested(bytes32 indexed payoutId, address indexed merchant, uint256 amount);
    event RedemptionSettled(bytes32 indexed payoutId, address indexed merchant, uint256 amount, bytes32 bankReference);
    event RedemptionRejected(bytes32 indexed payoutId, address indexed merchant, uint256 amount, bytes32 reason);
    event AccountRecovered(address indexed lost, address indexed replacement, uint256 amount);
    event YearlyCapChanged(uint256 previousCap, uint256 newCap);
    event Paused(address account);
    event Unpaused(address account);

    // ───────────────────────────── state ─────────────────────────────
    Config private _config;
    uint64 private _personCount;

    mapping(address account => Account) private _accounts;
    mapping(bytes32 citizenId => uint64) private _personOf;
    mapping(uint64 person => bytes32) private _citizenIdOf;
    /// Minted per person per Amsterdam civil year, keyed by `person << 64 | year` (one hash, not two).
    mapping(uint256 personYear => uint256) private _mintedIn;
    /// Replay guard for task rewards: bit `taskId & 255` of word `taskId >> 8`.
    mapping(uint256 wordPos => uint256) private _rewardedTasks;
    /// Unordered authorization nonces: bit `nonce & 255` of word `nonce >> 8`, per authorizer.
    mapping(address authorizer => mapping(uint256 wordPos => uint256)) private _nonceBitmap;
    mapping(bytes32 payoutId => Redemption) private _redemptions;
    /// Where a recovered account's identity went, so a later rejected redemption returns to the holder.
    mapping(address lost => address) private _successorOf;

    Movement private transient _movement;

    /**
     * @param initialAdmin Holder of DEFAULT_ADMIN_ROLE (grants roles, sets the cap).
     * @param adminDelay Seconds a two-step admin handover must wait before it can be accepted.
     */
    constructor(address initialAdmin, uint48 adminDelay)
        ERC20("Heerlens Heitje", "HEITJE")
        AccessControlDefaultAdminRules(adminDelay, initialAdmin)
        EIP712("Heerlens Heitje", "1")
    {
        _config.yearlyCap = DEFAULT_YEARLY_CAP;
        emit YearlyCapChanged(0, DEFAULT_YEARLY_CAP);
    }

    /// @notice Amounts are euro cents.
    function decimals() public pure override returns (uint8) {
        return 2;
    }

    // ─────────────────────────── participants ──────────────────────────

    /**
     * @notice Enrols `account` as a citizen known by the pseudonymous `citizenId`.
     * Several addresses may share a citizenId (key rotation); the yearly cap counts per citizenId.
     *
     * Requirements: caller has REGISTRAR_ROLE; `account` is not zero, not this contract, not enrolled and
     * not retired by {recoverAccount}; `citizenId` is not zero.
     *
     * Emits {CitizenEnrolled}.
     */
    function enrolCitizen(address account, bytes32 citizenId) external onlyRole(REGISTRAR_ROLE) {
        _checkNewAccount(account);
        if (citizenId == bytes32(0)) revert HeitjeZeroCitizenId();
        uint64 person = _personOf[citizenId];
        if (person == 0) {
            // A uint64 person counter cannot realistically overflow.
            unchecked {
                person = ++_personCount;
            }
            _personOf[citizenId] = person;
            _citizenIdOf[person] = citizenId;
        }
        _accounts[account] = Account({kind: Kind.Citizen, suspended: false, person: person});
        emit CitizenEnrolled(account, citizenId);
    }

    /**
     * @notice Enrols `account` as a merchant.
     *
     * Requirements: caller has REGISTRAR_ROLE; `account` is not zero, not this contract, not enrolled and
     * not retired by {recoverAccount}.
     *
     * Emits {MerchantEnrolled}.
     */
    function enrolMerchant(address account) external onlyRole(REGISTRAR_ROLE) {
        _checkNewAccount(account);
        _accounts[account] = Account({kind: Kind.Merchant, suspended: false, person: 0});
        emit MerchantEnrolled(account);
    }

    /**
     * @notice Suspends a participant: a suspended citizen can neither earn nor pay; a suspended merchant
     * cannot receive payments (it can still refund and cash in what it holds).
     *
     * Requirements: caller has REGISTRAR_ROLE; `account` is enrolled and active.
     *
     * Emits {ParticipantSuspended}.
     */
    function suspend(address account) external onlyRole(REGISTRAR_ROLE) {
        Account storage a = _accounts[account];
        if (a.kind == Kind.None) revert HeitjeNotEnrolled(account);
        if (a.suspended) revert HeitjeAccountSuspended(account);
        a.suspended = true;
        emit ParticipantSuspended(account);
    }

    /**
     * @notice Lifts a suspension.
     *
     * Requirements: caller has REGISTRAR_ROLE; `account` is enrolled and suspended.
     *
     * Emits {ParticipantReinstated}.
     */
    function reinstate(address account) external onlyRole(REGISTRAR_ROLE) {
        Account storage a = _accounts[account];
        if (a.kind == Kind.None) revert HeitjeNotEnrolled(account);
        if (!a.suspended) revert HeitjeAccountNotSuspended(account);
        a.suspended = false;
        emit ParticipantReinstated(account);
    }

    // ───────────────────────────── minting ─────────────────────────────

    /**
     * @notice Rewards an approved task: mints `amount` cents to `citizen`.
     *
     * Requirements: caller has ISSUER_ROLE; not paused; `citizen` is an active citizen; `amount` > 0;
     * `taskId` was never rewarded; the person's minted amount this Amsterdam civil year stays within the cap.
     *
     * Emits {TaskRewarded} and {Transfer}.
     */
    function mintForTask(address citizen, uint256 amount, uint256 taskId) external onlyRole(ISSUER_ROLE) {
        _mintForTask(citizen, amount, taskId, _yearOf(block.timestamp));
    }

    /**
     * @notice Batch form of {mintForTask}: all rewards succeed or the whole call reverts.
     *
     * Requirements: as {mintForTask} for every element; the three arrays have the same length.
     *
     * Emits {TaskRewarded} and {Transfer} per element.
     */
    function mintForTasks(address[] calldata citizens, uint256[] calldata amounts, uint256[] calldata taskIds)
        external
        onlyRole(ISSUER_ROLE)
    {
        uint256 n = citizens.length;
        if (amounts.length != n || taskIds.length != n) revert HeitjeLengthMismatch();
        uint256 year = _yearOf(block.timestamp);
        for (uint256 i; i < n; ++i) {
            _mintForTask(citizens[i], amounts[i], taskIds[i], year);
        }
    }

    function _mintForTask(address citizen, uint256 amount, uint256 taskId, uint256 year) private {
        if (amount == 0) revert HeitjeZeroAmount();
        // Whether `citizen` may receive a mint is checked once, in {_update}.
        uint64 person = _accounts[citizen].person;

        uint256 wordPos = taskId >> 8;
        uint256 bit = 1 << (taskId & 0xff);
        uint256 word = _rewardedTasks[wordPos];
        if (word & bit != 0) revert HeitjeTaskAlreadyRewarded(taskId);
        _rewardedTasks[wordPos] = word | bit;

        uint256 key = (uint256(person) << 64) | year;
        uint256 already = _mintedIn[key];
        uint256 cap = _config.yearlyCap;
        if (amount > cap || already > cap - amount) {
            revert HeitjeYearlyCapExceeded(_citizenIdOf[person], year, already, cap);
        }
        // Bounded by cap (uint128) above.
        unchecked {
            _mintedIn[key] = already + amount;
        }
        _mint(citizen, amount);
        emit TaskRewarded(taskId, citizen, amount);
    }

    // ───────────────────── signed authorizations ─────────────────────

    /**
     * @notice Moves `value` from `from` to `to` on `from`'s EIP-712 signature: a payment (citizen to
     * merchant) or a refund (merchant to citizen). Anyone may submit; the municipality's relayer does.
     *
     * Requirements: not paused; `validAfter` < now < `validBefore`; `nonce` unused by `from`; the signature
     * is `from`'s; the movement is allowed by the closed-loop rules.
     *
     * Emits {PaymentMade} or {RefundMade}, and {Transfer}.
     */
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        uint256 nonce,
        bytes32 paymentRef,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        _checkWindow(validAfter, validBefore);
        bytes32 structHash =
            keccak256(abi.encode(_TRANSFER_TYPEHASH, from, to, value, validAfter, validBefore, nonce, paymentRef));
        _useAuthorization(from, nonce, structHash, v, r, s);
        _transfer(from, to, value);
        if (_accounts[from].kind == Kind.Citizen) {
            emit PaymentMade(from, to, paymentRef, value, nonce);
        } else {
            emit RefundMade(from, to, paymentRef, value, nonce);
        }
    }

    /**
     * @notice Whether `authorizer` has used `nonce`.
     */
    function authorizationState(address authorizer, uint256 nonce) external view returns (bool) {
        return _nonceBitmap[authorizer][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /**
     * @notice The word of used-nonce bits of `authorizer` at `wordPos` (nonces `wordPos*256 ..+255`).
     */
    function nonceBitmap(address authorizer, uint256 wordPos) external view returns (uint256) {
        return _nonceBitmap[authorizer][wordPos];
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ─────────────────────────── settlement ────────────────────────────

    /**
     * @notice A merchant asks for `value` cents to be paid out in euros: the tokens move into escrow.
     *
     * Requirements: not paused; caller is an enrolled merchant; `payoutId` is new and not zero; `value` > 0.
     *
     * Emits {RedemptionRequested} and {Transfer} (to this contract).
     */
    function requestRedemption(uint256 value, bytes32 payoutId) external {
        _requestRedemption(msg.sender, value, payoutId);
    }

    /**
     * @notice {requestRedemption} on the merchant's EIP-712 signature, submitted by anyone.
     *
     * Requirements: as {requestRedemption}; `validAfter` < now < `validBefore`; `nonce` unused; the signature
     * is `merchant`'s.
     *
     * Emits {RedemptionRequested} and {Transfer}.
     */
    function requestRedemptionWithAuthorization(
        address merchant,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        uint256 nonce,
        bytes32 payoutId,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        _checkWindow(validAfter, validBefore);
        bytes32 structHash =
            keccak256(abi.encode(_REDEMPTION_TYPEHASH, merchant, value, validAfter, validBefore, nonce, payoutId));
        _useAuthorization(merchant, nonce, structHash, v, r, s);
        _requestRedemption(merchant, value, payoutId);
    }

    /**
     * @notice Settles a redemption after the euro transfer: burns the escrowed tokens.
     *
     * Requirements: caller has SETTLER_ROLE; not paused; the redemption is pending; `bankReference` is not
     * zero.
     *
     * Emits {RedemptionSettled} and {Transfer} (to the zero address).
     */
    function settleRedemption(bytes32 payoutId, bytes32 bankReference) external onlyRole(SETTLER_ROLE) {
        if (bankReference == bytes32(0)) revert HeitjeMissingBankReference(payoutId);
        Redemption storage red = _redemptions[payoutId];
        if (red.status != RedemptionStatus.Pending) revert HeitjeRedemptionNotPending(payoutId);
        red.status = RedemptionStatus.Settled;
        _movement = Movement.Settle;
        _burn(address(this), red.amount);
        _movement = Movement.Ordinary;
        emit RedemptionSettled(payoutId, red.merchant, red.amount, bankReference);
    }

    /**
     * @notice Rejects a redemption (e.g. a failed bank line): the escrowed tokens return to the merchant, or to
     * the address its identity was recovered to.
     *
     * Requirements: caller has SETTLER_ROLE; not paused; the redemption is pending.
     *
     * Emits {RedemptionRejected} and {Transfer}.
     */
    function rejectRedemption(bytes32 payoutId, bytes32 reason) external onlyRole(SETTLER_ROLE) {
        Redemption storage red = _redemptions[payoutId];
        if (red.status != RedemptionStatus.Pending) revert HeitjeRedemptionNotPending(payoutId);
        red.status = RedemptionStatus.Rejected;
        address holder = red.merchant;
        for (address next = _successorOf[holder]; next != address(0); next = _successorOf[holder]) {
            holder = next;
        }
        _movement = Movement.Release;
        _transfer(address(this), holder, red.amount);
        _movement = Movement.Ordinary;
        emit RedemptionRejected(payoutId, holder, red.amount, reason);
    }

    /**
     * @notice The redemption recorded under `payoutId`.
     */
    function redemptionOf(bytes32 payoutId)
        external
        view
        returns (address merchant, uint256 amount, RedemptionStatus status)
    {
        Redemption memory red = _redemptions[payoutId];
        return (red.merchant, red.amount, red.status);
    }

    /// @notice The settlement escrow: this contract's own balance.
    function escrow() external view returns (address) {
        return address(this);
    }

    // ──────────────────────────── recovery ─────────────────────────────

    /**
     * @notice Moves a lost account's balance and identity (kind, citizenId, suspension) to `replacement`.
     * The yearly cap follows the person. The lost address becomes unregistered and is retired: it can never
     * be enrolled again.
     *
     * Requirements: caller has RECOVERY_ROLE; not paused; `lost` is enrolled; `replacement` is a fresh
     * address (not zero, not this contract, not enrolled, not itself a lost address).
     *
     * Emits {AccountRecovered} and, when there is a balance, {Transfer}.
     */
    function recoverAccount(address lost, address replacement) external onlyRole(RECOVERY_ROLE) {
        if (_config.paused) revert HeitjePaused();
        Account memory a = _accounts[lost];
        if (a.kind == Kind.None) revert HeitjeNotEnrolled(lost);
        _checkNewAccount(replacement);
        _accounts[replacement] = a;
        uint256 amount = balanceOf(lost);
        if (amount > 0) {
            _movement = Movement.Recover;
            _transfer(lost, replacement, amount);
            _movement = Movement.Ordinary;
        }
        delete _accounts[lost];
        _successorOf[lost] = replacement;
        emit AccountRecovered(lost, replacement, amount);
    }

    // ───────────────────────────── admin ───────────────────────────────

    /**
     * @notice Sets the yearly cap per person, in cents.
     *
     * Requirements: caller has DEFAULT_ADMIN_ROLE; `newCap` > 0 and fits in uint128.
     *
     * Emits {YearlyCapChanged}.
     */
    function setYearlyCap(uint256 newCap) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newCap == 0 || newCap > type(uint128).max) revert HeitjeInvalidYearlyCap(newCap);
        uint256 previous = _config.yearlyCap;
        _config.yearlyCap = uint128(newCap);
        emit YearlyCapChanged(previous, newCap);
    }

    /**
     * @notice Stops every token movement.
     *
     * Requirements: caller has PAUSER_ROLE; not paused.
     *
     * Emits {Paused}.
     */
    function pause() external onlyRole(PAUSER_ROLE) {
        if (_config.paused) revert HeitjePaused();
        _config.paused = true;
        emit Paused(msg.sender);
    }

    /**
     * @notice Resumes token movements.
     *
     * Requirements: caller has PAUSER_ROLE; paused.
     *
     * Emits {Unpaused}.
     */
    function unpause() external onlyRole(PAUSER_ROLE) {
        if (!_config.paused) revert HeitjeNotPaused();
        _config.paused = false;
        emit Unpaused(msg.sender);
    }

    // ───────────────────────────── views ───────────────────────────────

    /// @notice Whether every movement is stopped.
    function paused() external view returns (bool) {
        return _config.paused;
    }

    /// @notice The yearly cap per person, in cents.
    function yearlyCap() external view returns (uint256) {
        return _config.yearlyCap;
    }

    /**
     * @notice What `account` is: its kind, whether it is suspended, and (for citizens) its citizenId.
     */
    function accountOf(address account) external view returns (Kind kind, bool suspended, bytes32 citizenId) {
        Account memory a = _accounts[account];
        return (a.kind, a.suspended, a.person == 0 ? bytes32(0) : _citizenIdOf[a.person]);
    }

    /**
     * @notice How much of `year`'s cap the person `citizenId` has used, and the current cap.
     */
    function capUsed(bytes32 citizenId, uint256 year) external view returns (uint256 minted, uint256 cap) {
        uint256 person = _personOf[citizenId];
        return (person == 0 ? 0 : _mintedIn[(person << 64) | year], _config.yearlyCap);
    }

    /// @notice Whether `taskId` has been rewarded.
    function isTaskRewarded(uint256 taskId) external view returns (bool) {
        return _rewardedTasks[taskId >> 8] & (1 << (taskId & 0xff)) != 0;
    }

    /**
     * @notice The civil year in Europe/Amsterdam at `timestamp`. The year turns at 23:00 UTC on 31 December
     * (Amsterdam is on CET, UTC+1, in winter), so this is the proleptic Gregorian year of `timestamp + 1 h`.
     */
    function yearOf(uint256 timestamp) external pure returns (uint256) {
        return _yearOf(timestamp);
    }

    /// @notice The civil year in Europe/Amsterdam now.
    function currentYear() external view returns (uint256) {
        return _yearOf(block.timestamp);
    }

    // ──────────────────────────── internals ────────────────────────────

    /**
     * @dev The closed loop. Allowed movements: mint to an active citizen; citizen to merchant (payment);
     * merchant to citizen (refund); merchant to escrow (redemption request); escrow to burn (settle);
     * escrow to merchant (rejected redemption); a recovered account to its replacement. Nothing moves while
     * paused.
     */
    function _update(address from, address to, uint256 value) internal override {
        if (_config.paused) revert HeitjePaused();
        Movement movement = _movement;
        if (movement == Movement.Ordinary) {
            bool allowed;
            if (from == address(0)) {
                Account memory t = _accounts[to];
                if (t.kind != Kind.Citizen) revert HeitjeNotCitizen(to);
                if (t.suspended) revert HeitjeAccountSuspended(to);
                allowed = true;
            } else {
                Account memory f = _accounts[from];
                if (f.kind == Kind.Citizen) {
                    Account memory t = _accounts[to];
                    allowed = !f.suspended && t.kind == Kind.Merchant && !t.suspended;
                } else if (f.kind == Kind.Merchant) {
                    allowed = _accounts[to].kind == Kind.Citizen;
                }
            }
            if (!allowed) revert HeitjeMovementNotAllowed(from, to);
        } else if (movement == Movement.Redeem) {
            if (to != address(this) || _accounts[from].kind != Kind.Merchant) {
                revert HeitjeMovementNotAllowed(from, to);
            }
        } else if (movement == Movement.Settle) {
            if (from != address(this) || to != address(0)) revert HeitjeMovementNotAllowed(from, to);
        } else if (movement == Movement.Release) {
            if (from != address(this) || _accounts[to].kind != Kind.Merchant) {
                revert HeitjeMovementNotAllowed(from, to);
            }
        }
        // Movement.Recover: recoverAccount has checked both ends.
        super._update(from, to, value);
    }

    function _requestRedemption(address merchant, uint256 value, bytes32 payoutId) private {
        if (payoutId == bytes32(0)) revert HeitjeMissingPayoutId();
        if (value == 0) revert HeitjeZeroAmount();
        if (value > type(uint88).max) revert HeitjeAmountTooLarge(value);
        if (_accounts[merchant].kind != Kind.Merchant) revert HeitjeNotMerchant(merchant);
        if (_redemptions[payoutId].status != RedemptionStatus.None) revert HeitjeRedemptionExists(payoutId);
        _redemptions[payoutId] =
            Redemption({merchant: merchant, amount: uint88(value), status: RedemptionStatus.Pending});
        _movement = Movement.Redeem;
        _transfer(merchant, address(this), value);
        _movement = Movement.Ordinary;
        emit RedemptionRequested(payoutId, merchant, value);
    }

    function _checkWindow(uint256 validAfter, uint256 validBefore) private view {
        if (block.timestamp <= validAfter) revert HeitjeAuthorizationNotYetValid(validAfter, block.timestamp);
        if (block.timestamp >= validBefore) revert HeitjeAuthorizationExpired(validBefore, block.timestamp);
    }

    function _useAuthorization(address authorizer, uint256 nonce, bytes32 structHash, uint8 v, bytes32 r, bytes32 s)
        private
    {
        address signer = ECDSA.recover(_hashTypedDataV4(structHash), v, r, s);
        if (signer != authorizer) revert HeitjeInvalidSigner(authorizer, signer);
        uint256 wordPos = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 word = _nonceBitmap[authorizer][wordPos];
        if (word & bit != 0) revert HeitjeAuthorizationAlreadyUsed(authorizer, nonce);
        _nonceBitmap[authorizer][wordPos] = word | bit;
    }

    /// @dev A lost address is retired for good: enrolling it again would revive a key that was lost (or
    /// found by someone else), and would let `_successorOf` chains loop, so {rejectRedemption} never ends.
    function _checkNewAccount(address account) private view {
        if (account == address(0) || account == address(this) || _successorOf[account] != address(0)) {
            revert HeitjeInvalidAddress(account);
        }
        if (_accounts[account].kind != Kind.None) revert HeitjeAlreadyEnrolled(account);
    }

    /// @dev Civil-from-days (H. Hinnant), on the Amsterdam new-year boundary. Non-negative inputs only.
    function _yearOf(uint256 timestamp) private pure returns (uint256 year) {
        // Divisions and additions on a uint256 timestamp cannot overflow for any real block time.
        unchecked {
            uint256 z = (timestamp + 3600) / 86_400 + 719_468;
            uint256 era = z / 146_097;
            uint256 doe = z - era * 146_097;
            uint256 yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            uint256 mp = (5 * doy + 2) / 153;
            year = yoe + era * 400;
            if (mp >= 10) year += 1; // January or February belong to the next year in the March-based count
        }
    }
}
