// Every schema migration, in order. Add new ones at the end, one line each; never edit or remove one
// that has shipped (databases in the field have recorded it).
import type { Migration } from '../server/db/migration.js';
import { usersAndSettings } from './0001-users-and-settings.js';
import { documentStorage } from './0002-document-storage.js';
import { workflowIndexMigration } from './0003-workflow-index.js';
import { workflowOwnersMigration } from './0004-workflow-owners.js';
import { tokenEpochMigration } from './0005-token-epoch.js';
import { listQueryIndexesMigration } from './0006-list-query-indexes.js';
import { workflowVersionsMigration } from './0007-workflow-versions.js';

export const migrations: Migration[] = [
  usersAndSettings,
  documentStorage,
  workflowIndexMigration,
  workflowOwnersMigration,
  tokenEpochMigration,
  listQueryIndexesMigration,
  workflowVersionsMigration,
];
