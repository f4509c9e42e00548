// Thumbnail images live on the server (REST); their version lives in the documents: the library
// entry's `thumbnail` and the public entry's `thumbnail` (contract §4), written by the server whenever an
// image is stored or removed. The image URL carries that version, so every device (and every reader of
// a shared workflow) shows a new thumbnail as soon as its document syncs, and the HTTP cache can keep
// each version for a year.
//
// Entries written before the server recorded versions have no `thumbnail` field: for those the URL
// falls back to the entry's updated_at plus a counter bumped when this tab uploads or removes one.
const versions = new Map<string, number>();
const listeners = new Set<() => void>();

export function thumbnailVersion(id: string): number {
  return versions.get(id) ?? 0;
}

export function bumpThumbnail(id: string): void {
  versions.set(id, thumbnailVersion(id) + 1);
  listeners.forEach((l) => l());
}

export function onThumbnailChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The image URL for a workflow, '' when it has none. `thumbnail` is the document's version: a string,
 * null (no image) or undefined (not recorded: the legacy cache-buster above).
 */
export function thumbnailSrc(
  urlOf: (id: string, cacheBuster: string) => string,
  item: { id: string; updatedAt: string; thumbnail?: string | null | undefined },
): string {
  if (item.thumbnail === null) return '';
  if (typeof item.thumbnail === 'string') return urlOf(item.id, item.thumbnail);
  return urlOf(item.id, `${item.updatedAt}-${thumbnailVersion(item.id)}`);
}

/** Converts any image the browser can decode to a PNG of at most `max` px per side. */
export async function toPngThumbnail(file: Blob, max = 512): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('Could not encode the image'))), 'image/png'),
  );
}
