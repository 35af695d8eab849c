// Proves the PostgreSQL test harness (test/setup/postgres.ts + test/helpers/databases.ts).
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { freshPostgresUrl, testDialects } from '../helpers/databases.js'

const postgres = testDialects().filter((d) => d === 'postgres')

describe.skipIf(postgres.length === 0)('postgres test harness', () => {
  it.each(postgres)('%s: freshPostgresUrl() gives distinct, empty, usable databases', async () => {
    const first = await freshPostgresUrl()
    const second = await freshPostgresUrl()
    expect(first).not.toBe(second)
    expect(new URL(first).pathname).toMatch(/^\/linda_t_/)

    for (const url of [first, second]) {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        const one = await client.query<{ one: number }>('select 1 as one')
        expect(one.rows).toEqual([{ one: 1 }])
        const db = await client.query<{ db: string }>('select current_database() as db')
        expect(`/${db.rows[0]?.db}`).toBe(new URL(url).pathname)
        const tables = await client.query(
          "select 1 from information_schema.tables where table_schema = 'public'",
        )
        expect(tables.rowCount).toBe(0)
        await client.query('create table t (id serial primary key, name text not null)')
        await client.query("insert into t (name) values ('x')")
        const rows = await client.query<{ n: string }>('select count(*) as n from t')
        expect(rows.rows[0]?.n).toBe('1')
      } finally {
        await client.end()
      }
    }
  })
})
