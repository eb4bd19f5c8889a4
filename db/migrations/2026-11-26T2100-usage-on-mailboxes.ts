import { type Kysely, sql } from 'kysely';

// Lists sorted by fullness and counts per level must not read every usage row of a domain, so each
// mailbox row carries a copy of its measured size and level, kept by a trigger from mailbox_usage
// (the only place usage is written), and indexed. NULL means not measured yet. Likewise each domain
// carries its number of mailboxes, which every domain page and list shows.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('mailboxes').addColumn('used_bytes', 'bigint').addColumn('usage_level', 'text').execute();
  // The copies are no news for the policy service, which hears of usage through mailbox_usage_notify;
  // restricted before the backfill, so that does not announce every mailbox.
  await sql`DROP TRIGGER mailboxes_notify ON mailboxes`.execute(db);
  await sql`CREATE TRIGGER mailboxes_notify AFTER INSERT OR DELETE OR UPDATE OF address, quota_bytes, active ON mailboxes FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(
    db,
  );
  await sql`UPDATE mailboxes m SET used_bytes = u.used_bytes, usage_level = u.level FROM mailbox_usage u WHERE u.mailbox_id = m.id`.execute(db);
  await sql`
    CREATE FUNCTION mailpanel_copy_usage() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        UPDATE mailboxes SET used_bytes = NULL, usage_level = NULL WHERE id = OLD.mailbox_id;
      ELSE
        UPDATE mailboxes SET used_bytes = NEW.used_bytes, usage_level = NEW.level
         WHERE id = NEW.mailbox_id AND (used_bytes IS DISTINCT FROM NEW.used_bytes OR usage_level IS DISTINCT FROM NEW.level);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER mailbox_usage_copy AFTER INSERT OR DELETE OR UPDATE OF used_bytes, level ON mailbox_usage FOR EACH ROW EXECUTE FUNCTION mailpanel_copy_usage()`.execute(
    db,
  );
  await sql`
    CREATE FUNCTION mailpanel_clear_usage_copies() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE mailboxes SET used_bytes = NULL, usage_level = NULL WHERE used_bytes IS NOT NULL OR usage_level IS NOT NULL;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER mailbox_usage_truncate AFTER TRUNCATE ON mailbox_usage FOR EACH STATEMENT EXECUTE FUNCTION mailpanel_clear_usage_copies()`.execute(
    db,
  );
  // The expression must match the ORDER BY in db/repositories/mailboxes.ts exactly.
  await sql`CREATE INDEX mailboxes_domain_fullness_idx ON mailboxes (domain_id, (coalesce(used_bytes, 0)::float8 / quota_bytes) DESC, address)`.execute(db);
  await sql`CREATE INDEX mailboxes_fullness_idx ON mailboxes ((coalesce(used_bytes, 0)::float8 / quota_bytes) DESC, address)`.execute(db);
  await sql`CREATE INDEX mailboxes_domain_level_idx ON mailboxes (domain_id, usage_level)`.execute(db);
  // The panel's searches of a reseller's domains and customers.
  await sql`CREATE INDEX domains_name_trgm ON domains USING gin (name gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX customers_contact_trgm ON customers USING gin (contact_email gin_trgm_ops)`.execute(db);

  await db.schema
    .alterTable('domains')
    .addColumn('mailbox_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`UPDATE domains d SET mailbox_count = n.n FROM (SELECT domain_id, count(*) AS n FROM mailboxes GROUP BY domain_id) n WHERE n.domain_id = d.id`.execute(
    db,
  );
  // Per statement, so an import of thousands of mailboxes updates its domain once.
  await sql`
    CREATE FUNCTION mailpanel_count_mailboxes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        UPDATE domains d SET mailbox_count = d.mailbox_count + n.n FROM (SELECT domain_id, count(*) AS n FROM new_rows GROUP BY domain_id) n WHERE d.id = n.domain_id;
      ELSE
        UPDATE domains d SET mailbox_count = d.mailbox_count - n.n FROM (SELECT domain_id, count(*) AS n FROM old_rows GROUP BY domain_id) n WHERE d.id = n.domain_id;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER mailboxes_count_insert AFTER INSERT ON mailboxes REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailpanel_count_mailboxes()`.execute(
    db,
  );
  await sql`CREATE TRIGGER mailboxes_count_delete AFTER DELETE ON mailboxes REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mailpanel_count_mailboxes()`.execute(
    db,
  );
  await sql`
    CREATE FUNCTION mailpanel_zero_mailbox_counts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE domains SET mailbox_count = 0 WHERE mailbox_count <> 0;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER mailboxes_truncate AFTER TRUNCATE ON mailboxes FOR EACH STATEMENT EXECUTE FUNCTION mailpanel_zero_mailbox_counts()`.execute(db);
  // A mailbox's maildir lives under its domain: it never moves, which also keeps the count right.
  await sql`
    CREATE FUNCTION mailpanel_refuse_domain_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'a mailbox cannot move to another domain' USING ERRCODE = 'check_violation';
    END $$`.execute(db);
  await sql`CREATE TRIGGER mailboxes_domain_fixed BEFORE UPDATE OF domain_id ON mailboxes FOR EACH ROW WHEN (OLD.domain_id IS DISTINCT FROM NEW.domain_id) EXECUTE FUNCTION mailpanel_refuse_domain_move()`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX domains_name_trgm, customers_name_trgm, customers_contact_trgm`.execute(db);
  await sql`DROP FUNCTION mailpanel_refuse_domain_move() CASCADE`.execute(db);
  await sql`DROP FUNCTION mailpanel_count_mailboxes(), mailpanel_zero_mailbox_counts() CASCADE`.execute(db);
  await db.schema.alterTable('domains').dropColumn('mailbox_count').execute();
  await sql`DROP TRIGGER mailboxes_notify ON mailboxes`.execute(db);
  await sql`CREATE TRIGGER mailboxes_notify AFTER INSERT OR UPDATE OR DELETE ON mailboxes FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(db);
  await sql`DROP FUNCTION mailpanel_copy_usage(), mailpanel_clear_usage_copies() CASCADE`.execute(db);
  await db.schema.alterTable('mailboxes').dropColumn('used_bytes').dropColumn('usage_level').execute();
}
