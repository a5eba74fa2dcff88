"""A stateful hypothesis test: random batches (every flag, replays, conflicting replays, linked
chains, two-phase transfers that time out) go to the ledger and to a small in-memory reference
model written separately from the ledger's own state machine. Every reply must match the model,
every balance must match after every step, and verify must pass. A failure prints the seed
(rerun with `pytest --hypothesis-seed=<seed>`) and the minimal failing sequence of batches."""

import copy
import os
from dataclasses import replace

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from minga.ledger import selectors, services
from minga.ledger.domain import AccountEvent, TransferEvent
from minga.ledger.tests.factories import at

LINKED, PENDING, POST, VOID, CLOSE_DR, CLOSE_CR = 1, 2, 4, 8, 64, 128
DMNEC, CMNED, CLOSED = 2, 4, 32
NS = 1_000_000_000


# Accounts 1..5 (account 6 never exists): ledger, flags.
ACCOUNTS = {1: (1, 0), 2: (1, DMNEC), 3: (1, DMNEC), 4: (1, CMNED), 5: (2, 0)}


class Model:
    """What the ledger must do, spelled out plainly: balances as [dp, dpo, cp, cpo]."""

    def __init__(self):
        self.bal = {i: [0, 0, 0, 0] for i in ACCOUNTS}
        self.flags = {i: f for i, (_, f) in ACCOUNTS.items()}
        self.ledger = {i: led for i, (led, _) in ACCOUNTS.items()}
        self.transfers = {}  # id -> dict of stored fields
        self.status = {}  # pending id -> "pending" | "posted" | "voided" | "expired"

    def expire(self, now_ns):
        for pid, st_ in self.status.items():
            t = self.transfers[pid]
            if st_ == "pending" and t["timeout"] and t["ts"] + t["timeout"] * NS <= now_ns:
                self.status[pid] = "expired"
                self._release(t)

    def _release(self, t):
        self.bal[t["dr"]][0] -= t["amount"]
        self.bal[t["cr"]][2] -= t["amount"]
        if t["flags"] & CLOSE_DR:
            self.flags[t["dr"]] &= ~CLOSED
        if t["flags"] & CLOSE_CR:
            self.flags[t["cr"]] &= ~CLOSED

    def run(self, events, now_ns):
        self.expire(now_ns)
        results, i = [], 0
        while i < len(events):
            j = i
            while j < len(events) and events[j].flags & LINKED:
                j += 1
            is_open = j == len(events)  # the batch ended inside a chain
            chain = events[i : j + 1]
            saved = copy.deepcopy((self.bal, self.flags, self.transfers, self.status))
            codes = []
            for k, e in enumerate(chain[:-1] if is_open else chain):
                code = self.one(e, now_ns + i + k)
                codes.append(code)
                if code != "ok" and len(chain) > 1:
                    break
            failed = is_open or (len(chain) > 1 and codes[-1] != "ok")
            if failed:
                self.bal, self.flags, self.transfers, self.status = saved
                marks = ["linked_event_failed"] * len(chain)
                if codes and codes[-1] != "ok":
                    marks[len(codes) - 1] = codes[-1]
                if is_open:
                    marks[-1] = "linked_event_chain_open"
                codes = marks
            results += codes
            i = j + 1
        return results

    def one(self, e, ts):
        code = self.check(e, ts)
        if code == "ok":
            self.apply(e, ts)
        return code

    def check(self, e, ts):
        # The rules, in precedence order.
        f = e.flags
        if f & ~(LINKED | PENDING | POST | VOID | CLOSE_DR | CLOSE_CR):
            return "reserved_flag"
        if e.id == 0:
            return "id_must_not_be_zero"
        if e.id in self.transfers:
            return self.exists(e, self.transfers[e.id])
        kinds = [bool(f & PENDING), bool(f & POST), bool(f & VOID)]
        pv = f & (POST | VOID)
        if sum(kinds) > 1 or (pv and f & (CLOSE_DR | CLOSE_CR)):
            return "flags_are_mutually_exclusive"
        if pv:
            return self.check_post_void(e, ts)
        if e.debit_account_id == 0:
            return "debit_account_id_must_not_be_zero"
        if e.credit_account_id == 0:
            return "credit_account_id_must_not_be_zero"
        if e.debit_account_id == e.credit_account_id:
            return "accounts_must_be_different"
        if e.pending_id:
            return "pending_id_must_be_zero"
        if not f & PENDING and e.timeout:
            return "timeout_reserved_for_pending_transfer"
        if not f & PENDING and f & (CLOSE_DR | CLOSE_CR):
            return "closing_transfer_must_be_pending"
        if e.amount == 0:
            return "amount_must_not_be_zero"
        if e.ledger == 0:
            return "ledger_must_not_be_zero"
        if e.code == 0:
            return "code_must_not_be_zero"
        dr, cr = e.debit_account_id, e.credit_account_id
        if dr not in self.bal:
            return "debit_account_not_found"
        if cr not in self.bal:
            return "credit_account_not_found"
        if self.ledger[dr] != self.ledger[cr]:
            return "accounts_must_have_the_same_ledger"
        if e.ledger != self.ledger[dr]:
            return "transfer_must_have_the_same_ledger_as_accounts"
        if self.flags[dr] & CLOSED:
            return "debit_account_already_closed"
        if self.flags[cr] & CLOSED:
            return "credit_account_already_closed"
        d, c = self.bal[dr], self.bal[cr]
        if self.flags[dr] & DMNEC and d[0] + d[1] + e.amount > d[3]:
            return "exceeds_credits"
        if self.flags[cr] & CMNED and c[2] + c[3] + e.amount > c[1]:
            return "exceeds_debits"
        return "ok"

    def check_post_void(self, e, ts):
        if e.debit_account_id and e.debit_account_id == e.credit_account_id:
            return "accounts_must_be_different"
        if e.pending_id == 0:
            return "pending_id_must_not_be_zero"
        if e.pending_id == e.id:
            return "pending_id_must_be_different"
        if e.timeout:
            return "timeout_reserved_for_pending_transfer"
        p = self.transfers.get(e.pending_id)
        if p is None:
            return "pending_transfer_not_found"
        if not p["flags"] & PENDING:
            return "pending_transfer_not_pending"
        for name, key in (("debit_account_id", "dr"), ("credit_account_id", "cr")):
            if getattr(e, name) and getattr(e, name) != p[key]:
                return f"pending_transfer_has_different_{name}"
        if e.ledger and e.ledger != p["ledger"]:
            return "pending_transfer_has_different_ledger"
        if e.code and e.code != p["code"]:
            return "pending_transfer_has_different_code"
        if e.amount > p["amount"]:
            return "exceeds_pending_transfer_amount"
        if e.flags & VOID and e.amount not in (0, p["amount"]):
            return "pending_transfer_has_different_amount"
        state = self.status[p["id"]]
        if state in ("posted", "voided"):
            return f"pending_transfer_already_{state}"
        if state == "expired" or (p["timeout"] and p["ts"] + p["timeout"] * NS <= ts):
            return "pending_transfer_expired"
        if e.flags & POST:
            if self.flags[p["dr"]] & CLOSED and not p["flags"] & CLOSE_DR:
                return "debit_account_already_closed"
            if self.flags[p["cr"]] & CLOSED and not p["flags"] & CLOSE_CR:
                return "credit_account_already_closed"
        return "ok"

    def exists(self, e, t):
        pv = e.flags & (POST | VOID)
        checks = [
            ("flags", e.flags, t["flags"], False),
            ("pending_id", e.pending_id, t["pending_id"], False),
            ("timeout", e.timeout, t["timeout"], False),
            ("debit_account_id", e.debit_account_id, t["dr"], pv),
            ("credit_account_id", e.credit_account_id, t["cr"], pv),
            ("amount", e.amount, t["amount"], pv),
            ("user_data_32", e.user_data_32, t["ud32"], False),
            ("ledger", e.ledger, t["ledger"], pv),
            ("code", e.code, t["code"], pv),
        ]
        for name, sent, stored, zero_matches in checks:
            if sent != stored and not (zero_matches and sent == 0):
                return f"exists_with_different_{name}"
        return "exists"

    def apply(self, e, ts):
        f = e.flags
        if f & (POST | VOID):
            p = self.transfers[e.pending_id]
            amount = (e.amount or p["amount"]) if f & POST else p["amount"]
            self.status[p["id"]] = "posted" if f & POST else "voided"
            self.bal[p["dr"]][0] -= p["amount"]
            self.bal[p["cr"]][2] -= p["amount"]
            if f & POST:
                self.bal[p["dr"]][1] += amount
                self.bal[p["cr"]][3] += amount
            else:
                if p["flags"] & CLOSE_DR:
                    self.flags[p["dr"]] &= ~CLOSED
                if p["flags"] & CLOSE_CR:
                    self.flags[p["cr"]] &= ~CLOSED
            stored = dict(dr=p["dr"], cr=p["cr"], amount=amount, ledger=p["ledger"], code=p["code"])
        else:
            stored = dict(
                dr=e.debit_account_id,
                cr=e.credit_account_id,
                amount=e.amount,
                ledger=e.ledger,
                code=e.code,
            )
            side = 0 if f & PENDING else 1
            self.bal[e.debit_account_id][side] += e.amount
            self.bal[e.credit_account_id][side + 2] += e.amount
            if f & PENDING:
                self.status[e.id] = "pending"
                if f & CLOSE_DR:
                    self.flags[e.debit_account_id] |= CLOSED
                if f & CLOSE_CR:
                    self.flags[e.credit_account_id] |= CLOSED
        stored.update(
            id=e.id, flags=f, pending_id=e.pending_id, timeout=e.timeout, ud32=e.user_data_32, ts=ts
        )
        self.transfers[e.id] = stored


flag_sets = st.sampled_from(
    [
        0,
        0,
        0,
        LINKED,
        PENDING,
        PENDING,
        POST,
        VOID,
        PENDING | LINKED,
        POST | LINKED,
        PENDING | CLOSE_DR,
        PENDING | CLOSE_CR,
        PENDING | POST,
        CLOSE_DR,
        1 << 9,
    ]
)
fresh_events = st.builds(
    TransferEvent,
    id=st.integers(0, 40),
    debit_account_id=st.integers(0, 6),
    credit_account_id=st.integers(0, 6),
    amount=st.sampled_from([0, 1, 5, 20, 50, 120]),
    ledger=st.sampled_from([1, 1, 1, 2, 0]),
    code=st.sampled_from([1, 1, 1, 2, 0]),
    flags=flag_sets,
    pending_id=st.one_of(st.just(0), st.integers(1, 40)),
    timeout=st.sampled_from([0, 0, 1, 2]),
    user_data_32=st.sampled_from([0, 0, 7]),
)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint_create()
        self.model = Model()
        self.sent = []
        self.clock_s = 0

    @initialize()
    def accounts(self):
        events = [
            AccountEvent(id=i, ledger=led, code=1, flags=f) for i, (led, f) in ACCOUNTS.items()
        ]
        assert services.accounts_create(events=events, now=at(0)) == ["ok"] * len(ACCOUNTS)

    @rule(
        fresh=st.lists(fresh_events, min_size=1, max_size=8),
        replays=st.lists(st.tuples(st.integers(0, 10_000), st.booleans()), max_size=3),
        advance_s=st.integers(1, 3),
    )
    def batch(self, fresh, replays, advance_s):
        events = list(fresh)
        for pick, conflicting in replays:
            if not self.sent:
                break
            old = self.sent[pick % len(self.sent)]
            # A replay, or a conflicting replay (same id, another amount).
            events.append(replace(old, amount=old.amount + 1) if conflicting else old)
        self.clock_s += advance_s
        now = at(self.clock_s)
        expected = self.model.run(events, selectors.datetime_to_ns(now))

        got = services.transfers_create(events=events, now=now)

        assert [str(r) for r in got] == expected, events
        self.sent += events

    @invariant()
    def balances_match_the_model_and_verify_passes(self):
        for account_id, expected in self.model.bal.items():
            a = selectors.account_get(account_id=account_id)
            if a is None:  # before initialize
                return
            got = [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted]
            assert got == expected, account_id
            assert bool(a.flags & CLOSED) == bool(self.model.flags[account_id] & CLOSED)
        report = selectors.ledger_verify()
        assert report.ok, report.problem

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)


LedgerMachine.TestCase.settings = settings(
    # A deeper search: MINGA_LEDGER_EXAMPLES=500 pytest minga/ledger/tests/test_stateful.py
    max_examples=int(os.environ.get("MINGA_LEDGER_EXAMPLES", "20")),
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)


@pytest.mark.django_db
def test_random_batches_behave_like_the_reference_model():
    LedgerMachine.TestCase("runTest").runTest()
