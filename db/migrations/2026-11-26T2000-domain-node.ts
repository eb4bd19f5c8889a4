import { type Kysely, sql } from 'kysely';

// The storage node a domain's mailboxes are created on; the operator chooses it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('domains')
    .addColumn('node', 'text', (c) => c.notNull().defaultTo('local'))
    .execute();
  await sql`UPDATE domains d SET node = m.node FROM (SELECT DISTINCT ON (domain_id) domain_id, node FROM mailboxes ORDER BY domain_id, id) m WHERE m.domain_id = d.id`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('domains').dropColumn('node').execute();
}
