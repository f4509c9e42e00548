import { describe, expect, it } from 'vitest';
import { hasSharedTag, joinTags, SHARED_TAG, splitTags, withSharedTag } from '../../shared/workflow/index.js';

describe('tags', () => {
  it('splits on commas, trims and drops empty tags; joins with ", "', () => {
    expect(splitTags(' flux,  text to image ,,  ,lora ')).toEqual(['flux', 'text to image', 'lora']);
    expect(splitTags('')).toEqual([]);
    expect(joinTags(['a', 'b c'])).toBe('a, b c');
  });

  it.each<[string, boolean, string]>([
    ['flux, text to image', true, 'flux, text to image, shared'],
    ['', true, 'shared'],
    ['flux,shared', true, 'flux,shared'], // already agrees: user spacing left alone
    ['flux, Shared, lora', true, 'flux, shared, lora'], // variant replaced in place
    ['shared, a, shared', true, 'shared, a'], // one tag only
    ['flux, text to image', false, 'flux, text to image'],
    ['a,b', false, 'a,b'],
    ['flux, shared, lora', false, 'flux, lora'],
    ['SHARED', false, ''],
    ['a, shared, ,b, shared', false, 'a, b'],
    ['shareduser, a', false, 'shareduser, a'], // only the whole tag counts
    ['shareduser', true, 'shareduser, shared'],
  ])('withSharedTag(%j, public=%s) is %j', (tags, isPublic, expected) => {
    expect(withSharedTag(tags, isPublic)).toBe(expected);
    expect(hasSharedTag(withSharedTag(tags, isPublic))).toBe(isPublic);
    // Applying the rule again changes nothing.
    expect(withSharedTag(expected, isPublic)).toBe(expected);
  });

  it('names the tag "shared"', () => {
    expect(SHARED_TAG).toBe('shared');
  });
});
