"""minga_audit_append(): appends one audit event from inside the database (PostgreSQL), for a
write whose event holds values known only there (the ledger's journal hash and timestamps; see
minga.core.services.audit_template). It computes exactly what audit_record computes: the same
canonical bytes (the caller's template, markers replaced) and the same hash."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION minga_audit_append(
    p_canonical text, p_after text, p_replace text[], p_seq_marker text, p_at timestamptz,
    p_actor integer, p_actor_label text, p_action text, p_object_type text, p_object_id text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    head record;
    v_canonical text := p_canonical;
    v_after text := p_after;
    v_seq bigint;
    v_digest text;
BEGIN
    SELECT last_seq, last_hash INTO head FROM core_auditchainhead WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the audit chain has no head yet' USING ERRCODE = 'ML001';
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_replace, 1), 0) / 2 LOOP
        v_canonical := replace(v_canonical, p_replace[2 * i - 1], p_replace[2 * i]);
        v_after := replace(v_after, p_replace[2 * i - 1], p_replace[2 * i]);
    END LOOP;
    v_seq := head.last_seq + 1;
    v_canonical := replace(v_canonical, p_seq_marker, v_seq::text);
    v_digest := encode(sha256(convert_to(head.last_hash || v_canonical, 'UTF8')), 'hex');
    INSERT INTO core_auditevent (seq, at, actor_id, actor_label, action, object_type, object_id,
                                 before, after, prev_hash, hash)
    VALUES (v_seq, p_at, p_actor, p_actor_label, p_action, p_object_type, p_object_id, NULL,
            v_after::jsonb, head.last_hash, v_digest);
    UPDATE core_auditchainhead SET last_seq = v_seq, last_hash = v_digest WHERE id = 1;
    RETURN v_digest;
END
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS minga_audit_append(text, text, text[], text, timestamptz, "
            "integer, text, text, text, text)"
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [migrations.RunPython(create, drop)]
