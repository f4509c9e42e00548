// Every PostgreSQL schema migration, in order (server/storage/postgres/migrator.ts runs them). Add new
// ones at the end, one line each; never edit or remove one that has shipped (databases in the field
// have recorded it). PostgreSQL's list is its own: its numbers do not follow SQLite's (migrations/).
import type { PostgresMigration } from '../../server/storage/postgres/migrator.js';
import { usersAndSettings } from './0001-users-and-settings.js';
import { documentStorage } from './0002-document-storage.js';
import { workflowIndex } from './0003-workflow-index.js';
import { leases } from './0004-leases.js';
import { listQueryIndexes } from './0005-list-query-indexes.js';
import { workflowVersions } from './0006-workflow-versions.js';
import { boundedKeysAndNulText } from './0007-bounded-keys-and-nul-text.js';

export const postgresMigrations: PostgresMigration[] = [usersAndSettings, documentStorage, workflowIndex, leases, listQueryIndexes, workflowVersions, boundedKeysAndNulText];
