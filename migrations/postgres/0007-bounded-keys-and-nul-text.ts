// Bounded index keys (issue 8, found by the PostgreSQL pass). A B-tree row holds at most 2,704 bytes:
// the name indexes of 0003/0005 keyed lower(name) whole and the per-library ones carried
// INCLUDE (tags), so one workflow with a long name (a 200,000-character name) or many tags could not
// be indexed, and its row's failure took the rest of its library's indexing batch with it. SQLite has
// no such limit, and a client chooses both.
// The name indexes now key the first NAME_SORT_PREFIX characters of lower(name), at most 4 bytes each
// in UTF-8 (1 KB with the ids well under the limit). The lists order by that prefix, then by the whole
// lower(name), then the ids: lower() on the "C" columns folds A-Z only, one character for one, so the
// prefix of the folded name is the folded prefix, and byte order on prefixes agrees with byte order on
// the names wherever the prefixes differ; equal prefixes fall to the whole name. The order is exactly
// SQLite's `name COLLATE NOCASE`; the index serves it (an incremental sort resolves ties of long,
// shared prefixes only). The per-library indexes lose INCLUDE (tags): a tag filter of one library
// reads that library's rows, which its index finds.
// Also U+0000: PostgreSQL's text refuses it, SQLite's TEXT keeps it, and a display name or device
// label holding one made every version of that user's workflows "not kept" on PostgreSQL. The names a
// client chooses that no query compares or orders (a version's user_name and device_label, a trash
// entry's name) become bytea, UTF-8 (server/storage/postgres/version-store.ts reads them back). The
// index's text and users' emails and display names, which queries search, compare and order, stay
// text with U+0000 escaped (server/storage/postgres/nul-text.ts); rows written before hold no U+0000,
// only U+0001 to escape.
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { requirePostgresIndexes } from '../../server/storage/postgres/migrator.js';
import { escapeNulSql } from '../../server/storage/postgres/nul-text.js';
import { POSTGRES_LIST_INDEXES } from './0005-list-query-indexes.js';

/** Characters of lower(name) the name indexes key (server/storage/postgres/index-store.ts orders by it). */
export const NAME_SORT_PREFIX = 256;

export const boundedKeysAndNulText: PostgresMigration = {
  version: 7,
  name: 'bounded-keys-and-nul-text',
  async up(tx) {
    const key = `lower(left(name, ${NAME_SORT_PREFIX}))`;
    await tx.query(`
      DROP INDEX idx_workflow_index_name;
      DROP INDEX idx_workflow_index_cat_name;
      DROP INDEX idx_workflow_index_cat_public_name;
      DROP INDEX idx_workflow_index_own_name;
      DROP INDEX idx_workflow_index_own_created;
      DROP INDEX idx_workflow_index_own_updated;
      CREATE INDEX idx_workflow_index_name ON workflow_index (${key}, workflow_id, user_id);
      CREATE INDEX idx_workflow_index_cat_name ON workflow_index (category, ${key}, workflow_id, user_id)
        INCLUDE (valid, is_public, unpublished_reason);
      CREATE INDEX idx_workflow_index_cat_public_name ON workflow_index (category, is_public, ${key}, workflow_id, user_id)
        INCLUDE (valid, unpublished_reason);
      CREATE INDEX idx_workflow_index_own_name ON workflow_index (user_id, category, ${key}, workflow_id);
      CREATE INDEX idx_workflow_index_own_created ON workflow_index (user_id, category, created_at, workflow_id);
      CREATE INDEX idx_workflow_index_own_updated ON workflow_index (user_id, category, updated_at, workflow_id);
      ANALYZE workflow_index;

      ALTER TABLE workflow_versions
        ALTER COLUMN user_name TYPE bytea USING convert_to(user_name, 'UTF8'),
        ALTER COLUMN device_label TYPE bytea USING convert_to(device_label, 'UTF8');
      ALTER TABLE workflow_trash ALTER COLUMN name TYPE bytea USING convert_to(name, 'UTF8');

      UPDATE workflow_index SET name = ${escapeNulSql('name')}, description = ${escapeNulSql('description')},
          tags = ${escapeNulSql('tags')}, invalid_reason = ${escapeNulSql('invalid_reason')},
          unpublished_reason = ${escapeNulSql('unpublished_reason')}
        WHERE strpos(name || description || tags || coalesce(invalid_reason, '') || coalesce(unpublished_reason, ''), chr(1)) > 0;
      UPDATE users SET email = ${escapeNulSql('email')}, display_name = ${escapeNulSql('display_name')}
        WHERE strpos(email || coalesce(display_name, ''), chr(1)) > 0;
    `);
  },
  async verify(tx) {
    await requirePostgresIndexes(tx, POSTGRES_LIST_INDEXES);
    // The name indexes key the bounded prefix, and no index carries an unbounded client column.
    const { rows } = await tx.query<{ name: string; definition: string }>(
      "SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'workflow_index'",
    );
    for (const { name, definition } of rows) {
      if (/lower\(name\)|INCLUDE \([^)]*\btags\b/.test(definition)) throw new Error(`${name} keys an unbounded column: ${definition}`);
    }
    const types = await tx.query<{ column: string; type: string }>(
      `SELECT table_name || '.' || column_name AS column, data_type AS type FROM information_schema.columns
       WHERE (table_name = 'workflow_versions' AND column_name IN ('user_name', 'device_label'))
          OR (table_name = 'workflow_trash' AND column_name = 'name')`,
    );
    for (const { column, type } of types.rows) if (type !== 'bytea') throw new Error(`${column} is ${type}, not bytea`);
    if (types.rows.length !== 3) throw new Error('workflow_versions or workflow_trash lacks a name column');
  },
};
