// vitest setup file of the PostgreSQL passes: stops the worker's PostgreSQL (started on first use by
// test-backend.ts) once a test file is done, so no server or temp folder outlives its file.
import { afterAll } from 'vitest';
import { stopTestPostgres } from './test-backend.js';

afterAll(() => stopTestPostgres());
