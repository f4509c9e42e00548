// Where the end-to-end screenshots go: a plain test run must not rewrite the README's pictures.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { root, screenshotDir } from './harness.js';

describe('screenshot directory', () => {
  it('is .test-results/screenshots by default, so a test run leaves docs/ untouched', () => {
    expect(screenshotDir({})).toBe(join(root, '.test-results', 'screenshots'));
    expect(screenshotDir({ FLOWSHELF_SCREENSHOTS: 'yes' })).toBe(join(root, '.test-results', 'screenshots'));
  });

  it('is docs/screenshots only with FLOWSHELF_SCREENSHOTS=docs', () => {
    expect(screenshotDir({ FLOWSHELF_SCREENSHOTS: 'docs' })).toBe(join(root, 'docs', 'screenshots'));
  });
});
