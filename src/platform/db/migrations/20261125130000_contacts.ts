import { PostgresAdapter, sql, type Kysely } from 'kysely'

// Migrations never import app code: they describe the schema as it was on their date.

/**
 * Contacts at scale:
 * - new contact fields: timezone, notes, where an opt-out came from, first inbound and
 *   outbound times, WhatsApp's LID (unique), whether the number is on WhatsApp and when
 *   that was checked;
 * - `contact_tags` (tag → contacts, in id order) and `contact_attribute_values` (one typed
 *   row per custom attribute) index what filters ask about: a tag or an attribute range is
 *   an index range over a million contacts, where a JSON column is a scan of every row
 *   (`contacts.tags` and `contacts.attributes` stay the copies a contact is read from);
 * - `contact_attributes` declares each custom attribute's type once;
 * - `segments` are saved filters;
 * - full-text search: on SQLite an FTS5 table over `contacts` (external content, kept in
 *   step by triggers; `seq` is its integer rowid, as `contacts` has none); on PostgreSQL a
 *   generated tsvector column with a GIN index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  const time = pg ? 'timestamptz' : 'text'
  const json = pg ? 'jsonb' : 'text'
  const real = pg ? 'double precision' : 'real'
  const clustered = <T extends { modifyEnd(node: ReturnType<typeof sql>): T }>(table: T): T =>
    pg ? table : table.modifyEnd(sql`without rowid`)

  for (const [column, type] of [
    ['timezone', 'text'],
    ['notes', 'text'],
    // (`opted_out_source` comes from the bot's migration, 20261125100000_bot.)
    ['first_inbound_at', time],
    ['first_outbound_at', time],
    ['lid', 'text'],
    ['on_whatsapp', 'integer'],
    ['whatsapp_checked_at', time],
    ['seq', pg ? 'bigint' : 'integer'],
  ] as const) {
    await db.schema.alterTable('contacts').addColumn(column, sql.raw(type)).execute()
  }
  // What messages already told: the first times are at most the last ones.
  await sql`update contacts set first_inbound_at = last_inbound_at, first_outbound_at = last_outbound_at`.execute(
    db,
  )
  await db.schema.createIndex('contacts_lid').on('contacts').column('lid').unique().execute()
  for (const column of ['last_inbound_at', 'last_outbound_at', 'language']) {
    await db.schema.createIndex(`contacts_${column}`).on('contacts').column(column).execute()
  }

  await clustered(
    db.schema
      .createTable('contact_tags')
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('contact_id', 'text', (c) =>
        c.notNull().references('contacts.id').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint('contact_tags_pk', ['tag', 'contact_id']),
  ).execute()
  await db.schema
    .createIndex('contact_tags_contact')
    .on('contact_tags')
    .columns(['contact_id', 'tag'])
    .execute()
  await sql`insert into contact_tags (tag, contact_id) select distinct t.value, c.id from contacts c, ${sql.raw(
    pg ? 'jsonb_array_elements_text(c.tags) as t(value)' : 'json_each(c.tags) as t',
  )}`.execute(db)

  await db.schema
    .createTable('contact_attributes')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .execute()

  // One row per attribute a contact has: numbers, booleans (0/1) in `num`; text and dates
  // (YYYY-MM-DD) in `txt`. The indexes hold the contact id, so a range is answered from
  // the index alone.
  await clustered(
    db.schema
      .createTable('contact_attribute_values')
      .addColumn('contact_id', 'text', (c) =>
        c.notNull().references('contacts.id').onDelete('cascade'),
      )
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('num', sql.raw(real))
      .addColumn('txt', 'text')
      .addPrimaryKeyConstraint('contact_attribute_values_pk', ['contact_id', 'key']),
  ).execute()
  await db.schema
    .createIndex('contact_attribute_values_num')
    .on('contact_attribute_values')
    .columns(['key', 'num', 'contact_id'])
    .where(sql<boolean>`num is not null`)
    .execute()
  await db.schema
    .createIndex('contact_attribute_values_txt')
    .on('contact_attribute_values')
    .columns(['key', 'txt', 'contact_id'])
    .where(sql<boolean>`txt is not null`)
    .execute()
  // Attributes written before they had to be declared are declared as text.
  const now = pg ? sql`now()` : sql`${new Date().toISOString()}`
  await sql`insert into contact_attributes (key, type, label, created_at, updated_at)
    select distinct a.key, 'text', null, ${now}, ${now}
    from contacts c, ${sql.raw(pg ? 'jsonb_each_text(c.attributes) as a' : 'json_each(c.attributes) as a')}`.execute(
    db,
  )
  await sql`insert into contact_attribute_values (contact_id, key, num, txt)
    select c.id, a.key, cast(null as ${sql.raw(real)}), ${sql.raw(pg ? 'a.value' : 'cast(a.value as text)')}
    from contacts c, ${sql.raw(pg ? 'jsonb_each_text(c.attributes) as a' : 'json_each(c.attributes) as a')}
    where a.value is not null`.execute(db)

  await db.schema
    .createTable('segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('query', 'text')
    .addColumn('filter', sql.raw(json), (c) => c.notNull())
    .addColumn('created_at', sql.raw(time), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(time), (c) => c.notNull())
    .execute()

  if (pg) {
    // 'simple': no stemming and no stop words, as names and numbers want; the weights rank
    // a match in the name or number above one in the attributes, and those above the notes.
    await sql`alter table contacts add column search tsvector generated always as (
      setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
      setweight(to_tsvector('simple', translate(phone, '+', '')), 'A') ||
      setweight(jsonb_to_tsvector('simple', attributes, '["string", "numeric"]'), 'C') ||
      setweight(to_tsvector('simple', coalesce(notes, '')), 'D')
    ) stored`.execute(db)
    await sql`create index contacts_search on contacts using gin (search)`.execute(db)
    return
  }

  await sql`update contacts set seq = r.n
    from (select id, row_number() over (order by id) as n from contacts) as r
    where r.id = contacts.id`.execute(db)
  await db.schema.createIndex('contacts_seq').on('contacts').column('seq').unique().execute()
  // Prefixes of 2 and 3 characters are indexed: a search for the start of a name or of a
  // number reads one index entry instead of every token it may begin.
  await sql`create virtual table contacts_fts using fts5(
    name, phone, attributes, notes,
    content = 'contacts', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  )`.execute(db)
  // Ranked as PostgreSQL's weights do: name and number above attributes, those above notes.
  await sql`insert into contacts_fts (contacts_fts, rank) values ('rank', 'bm25(10.0, 10.0, 2.0, 1.0)')`.execute(
    db,
  )
  await sql`insert into contacts_fts (contacts_fts) values ('rebuild')`.execute(db)
  // A new contact takes the next seq, then is indexed. Updates re-index only when an
  // indexed column changed (a message's touch of last_inbound_at costs nothing here).
  await sql`create trigger contacts_fts_insert after insert on contacts begin
    update contacts set seq = (select coalesce(max(seq), 0) + 1 from contacts)
      where id = new.id and new.seq is null;
    insert into contacts_fts (rowid, name, phone, attributes, notes)
      select seq, name, phone, attributes, notes from contacts where id = new.id;
  end`.execute(db)
  await sql`create trigger contacts_fts_update after update of name, phone, attributes, notes on contacts
    when old.name is not new.name or old.phone is not new.phone
      or old.attributes is not new.attributes or old.notes is not new.notes
  begin
    insert into contacts_fts (contacts_fts, rowid, name, phone, attributes, notes)
      values ('delete', old.seq, old.name, old.phone, old.attributes, old.notes);
    insert into contacts_fts (rowid, name, phone, attributes, notes)
      values (new.seq, new.name, new.phone, new.attributes, new.notes);
  end`.execute(db)
  await sql`create trigger contacts_fts_delete after delete on contacts begin
    insert into contacts_fts (contacts_fts, rowid, name, phone, attributes, notes)
      values ('delete', old.seq, old.name, old.phone, old.attributes, old.notes);
  end`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter
  if (pg) {
    await sql`drop index contacts_search`.execute(db)
    await db.schema.alterTable('contacts').dropColumn('search').execute()
  } else {
    for (const trigger of ['contacts_fts_insert', 'contacts_fts_update', 'contacts_fts_delete']) {
      await sql`drop trigger ${sql.raw(trigger)}`.execute(db)
    }
    await db.schema.dropTable('contacts_fts').execute()
    await db.schema.dropIndex('contacts_seq').execute()
  }
  await db.schema.dropTable('segments').execute()
  await db.schema.dropTable('contact_attribute_values').execute()
  await db.schema.dropTable('contact_attributes').execute()
  await db.schema.dropTable('contact_tags').execute()
  for (const index of [
    'contacts_lid',
    'contacts_last_inbound_at',
    'contacts_last_outbound_at',
    'contacts_language',
  ]) {
    await db.schema.dropIndex(index).execute()
  }
  for (const column of [
    'seq',
    'whatsapp_checked_at',
    'on_whatsapp',
    'lid',
    'first_outbound_at',
    'first_inbound_at',
    'notes',
    'timezone',
  ]) {
    await db.schema.alterTable('contacts').dropColumn(column).execute()
  }
}
