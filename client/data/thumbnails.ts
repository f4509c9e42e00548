// Thumbnail images live on the server (REST), not in the documents. Their URLs carry a cache-buster:
// the entry's updated_at plus a counter bumped when this tab uploads or removes one, so a new image
// shows at once here. Other devices see it after the workflow's next change (or a reload without
// the HTTP cache): the documents carry no thumbnail version, by the contract's layout (§4).
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
