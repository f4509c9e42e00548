// Turns an uploaded thumbnail into the stored 256px webp, with bounded work (issue 9, "6."). Four
// small SVGs of blurred circles once held every libuv thread for seconds and stalled logins and static
// files. So: only the raster formats InvokeAI writes are decoded (SVG, whose rendering cost has no
// relation to its size, is refused with 415 before any decoder sees it), the decoded size is capped,
// and one image is processed at a time, with a short queue that answers 503 when full.
import sharp from 'sharp';
import { BoundedQueue, QueueFullError } from './bounded-queue.js';
import { httpError } from './errors.js';

/** InvokeAI's make_thumbnail(image, 256): fit inside 256x256. */
const THUMBNAIL_SIZE = 256;
/** Largest decoded image: 40 megapixels (an 8K frame; about 160 MB while decoding). */
export const MAX_INPUT_PIXELS = 40_000_000;

// libvips' own worker threads: one per image is plenty for 256px output on a small machine.
sharp.concurrency(1);

/**
 * Process-wide, like the libuv pool it protects: one image job runs, a few wait. Exported so tests
 * can hold the slot and observe what waits behind it.
 */
export const imageJobs = new BoundedQueue(1, 4);

/** InvokeAI's detail for an image it cannot read; ours add the reason after it when there is one. */
const READ_FAILED = 'Failed to read image';

export type RasterFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/** The raster format named by the file's first bytes, or null (SVG, text, anything else). */
export function rasterFormat(data: Buffer): RasterFormat | null {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (data.length >= 6 && /^GIF8[79]a$/.test(data.toString('latin1', 0, 6))) return 'gif';
  return null;
}

/** The stored form of an uploaded thumbnail; HTTP errors (415, 503) for what is refused. */
export async function thumbnailWebp(data: Buffer): Promise<Buffer> {
  const format = rasterFormat(data);
  if (format === null) {
    throw httpError(415, `${READ_FAILED}: thumbnails must be PNG, JPEG, WebP or GIF images (SVG and other formats are not accepted)`);
  }
  try {
    return await imageJobs.run(() =>
      sharp(data, { limitInputPixels: MAX_INPUT_PIXELS, pages: 1 })
        .rotate()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .webp()
        .toBuffer(),
    );
  } catch (err) {
    if (err instanceof QueueFullError) {
      throw httpError(503, 'Too many images are being processed right now. Try again in a few seconds.', { 'Retry-After': '5' });
    }
    const tooLarge = err instanceof Error && /pixel limit/i.test(err.message);
    throw httpError(415, tooLarge ? `${READ_FAILED}: larger than ${MAX_INPUT_PIXELS} pixels` : READ_FAILED);
  }
}
