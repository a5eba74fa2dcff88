"""minga_ledger_append(): the serialised end of a batch that posts or voids nothing, run inside
PostgreSQL so that the journal head is held for no client round trip. The caller has locked the
accounts and decided every event (all ok); the function writes the balances, locks the journal
head, gives the transfers their timestamps (max(now, last + 1), then one nanosecond apart),
chains their hashes exactly as minga.ledger.domain.journal_hash does (sha256 of the previous
hash, "|" and the canonical bytes, whose prefix up to the timestamp the caller sends), writes
them, their pending states and the head, and appends the batch's audit event through
minga_audit_append(). Whatever it cannot decide the same way as the Python write path (no head
yet, a reservation fallen due by the batch's time, a timeout that overflows at the real
timestamp) it refuses with SQLSTATE ML001, and the caller runs the batch the general way.
It returns the earliest timeout still pending (the head's next_expiry), a hint for the caller."""

from django.db import migrations

TIMESTAMP_MAX = (1 << 63) - 1
PENDING_FLAG = 2
PENDING_STATUS = 1

FUNCTION = f"""
CREATE OR REPLACE FUNCTION minga_ledger_append(
    p_now bigint, p_ids text[], p_debit text[], p_credit text[], p_amount bigint[],
    p_ledger bigint[], p_code integer[], p_flags integer[], p_timeout bigint[],
    p_ud128 text[], p_ud64 bigint[], p_ud32 bigint[], p_prefix text[], p_zero_id text,
    p_audit_canonical text, p_audit_after text, p_audit_markers text[], p_audit_seq_marker text,
    p_audit_at timestamptz, p_audit_actor integer, p_audit_actor_label text, p_audit_action text,
    p_audit_object_type text, p_audit_object_id text, p_bal_ids text[], p_bal_flags integer[],
    p_bal_dp bigint[], p_bal_dpo bigint[], p_bal_cp bigint[], p_bal_cpo bigint[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    head record;
    n integer := cardinality(p_ids);
    first_ts bigint;
    ts bigint;
    prev text;
    v_expires bigint;
    v_next_expiry bigint;
BEGIN
    -- The balances first: the accounts are locked already, the head not yet.
    UPDATE ledger_account AS a
       SET flags = v.flags, debits_pending = v.dp, debits_posted = v.dpo,
           credits_pending = v.cp, credits_posted = v.cpo
      FROM unnest(p_bal_ids, p_bal_flags, p_bal_dp, p_bal_dpo, p_bal_cp, p_bal_cpo)
           AS v(id, flags, dp, dpo, cp, cpo)
     WHERE a.id = v.id;
    SELECT last_timestamp, last_hash, transfers_count, expired_through, next_expiry INTO head
      FROM ledger_ledgerhead WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the journal has no head yet' USING ERRCODE = 'ML001';
    END IF;
    first_ts := greatest(p_now, head.last_timestamp + 1);
    IF head.next_expiry IS NOT NULL AND head.next_expiry <= first_ts THEN
        RAISE EXCEPTION 'a reservation fell due by this batch' USING ERRCODE = 'ML001';
    END IF;
    prev := head.last_hash;
    v_next_expiry := head.next_expiry;
    FOR i IN 1 .. n LOOP
        ts := first_ts + i - 1;
        prev := encode(sha256(convert_to(prev || '|' || p_prefix[i] || ts::text, 'UTF8')), 'hex');
        INSERT INTO ledger_transfer (id, debit_account_id, credit_account_id, amount, ledger,
                                     code, flags, pending_id, timeout, user_data_128,
                                     user_data_64, user_data_32, timestamp, hash)
        VALUES (p_ids[i], p_debit[i], p_credit[i], p_amount[i], p_ledger[i], p_code[i],
                p_flags[i], p_zero_id, p_timeout[i], p_ud128[i], p_ud64[i], p_ud32[i], ts, prev);
        IF p_flags[i] & {PENDING_FLAG} <> 0 THEN
            v_expires := NULL;
            IF p_timeout[i] > 0 THEN
                IF ts::numeric + p_timeout[i]::numeric * 1000000000 > {TIMESTAMP_MAX} THEN
                    RAISE EXCEPTION 'a timeout overflows' USING ERRCODE = 'ML001';
                END IF;
                v_expires := ts + p_timeout[i] * 1000000000;
                v_next_expiry := least(v_next_expiry, v_expires);
            END IF;
            INSERT INTO ledger_pendingtransfer (transfer_id, status, expires_at)
            VALUES (p_ids[i], {PENDING_STATUS}, v_expires);
        END IF;
    END LOOP;
    UPDATE ledger_ledgerhead
       SET last_hash = prev, transfers_count = head.transfers_count + n,
           last_timestamp = greatest(head.last_timestamp, first_ts + n - 1),
           expired_through = greatest(head.expired_through, first_ts),
           next_expiry = v_next_expiry
     WHERE id = 1;
    PERFORM minga_audit_append(
        p_audit_canonical, p_audit_after,
        array_replace(array_replace(array_replace(p_audit_markers,
            '$first_timestamp', first_ts::text), '$journal_hash', prev),
            '$transfers_count', (head.transfers_count + n)::text),
        p_audit_seq_marker, p_audit_at, p_audit_actor, p_audit_actor_label, p_audit_action,
        p_audit_object_type, p_audit_object_id);
    RETURN v_next_expiry;
END
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS minga_ledger_append")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_ledgerhead_next_expiry"),
        ("core", "0003_audit_append_function"),
    ]

    operations = [migrations.RunPython(create, drop)]
