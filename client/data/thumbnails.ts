// Thumbnail images live on the server (REST); their version lives in the documents: the library
// entry's `thumbnail` and the public entry's `thumbnail` (contract §4), written by the server whenever an
// image is stored or removed. The image URL carries that version, so every device (and every reader of
// a shared workflow) shows a new thumbnail as soon as its document syncs, and the HTTP cache can keep
// each version for a year.
//
// Only an entry with a version has an image to ask for. An entry without one (null: removed; absent:
// never set, as for every workflow created without an image) gets no request at all: asking anyway
// cost one 404 per workflow in the library. An image stored before the server recorded versions in
// the documents (development databases before the version field existed) shows once it is uploaded
// again.

/** The image URL for a workflow, '' when the document records no thumbnail version for it. */
export function thumbnailSrc(
  urlOf: (id: string, version: string) => string,
  item: { id: string; thumbnail?: string | null | undefined },
): string {
  return typeof item.thumbnail === 'string' ? urlOf(item.id, item.thumbnail) : '';
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
