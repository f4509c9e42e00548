// The thumbnail PORT: one image per workflow id, keyed by the id's owner (workflow_owners), with a
// version that changes on every upload (the cache-buster of thumbnail_url). Bytes are counted per user
// for the storage quota. Every method is async; implementations pass test/storage/thumbnail-store-suite.ts.

export interface Thumbnail {
  image: Buffer;
  version: string;
}

export interface ThumbnailStore {
  /** Stores (or replaces) the image of `workflowId` owned by `ownerId`. */
  put(workflowId: string, ownerId: string, image: Buffer, version: string): Promise<void>;
  get(workflowId: string, ownerId: string): Promise<Thumbnail | null>;
  version(workflowId: string, ownerId: string): Promise<string | null>;
  /** True if an image was removed. */
  delete(workflowId: string, ownerId: string): Promise<boolean>;
  /** Bytes of one image (0 if none), without reading it. */
  imageBytes(workflowId: string, ownerId: string): Promise<number>;
  /** Bytes of every image of `ownerId`. */
  bytesOf(ownerId: string): Promise<number>;
  /** Bytes per owner, for every owner with an image (the quota's start-up count). */
  bytesByOwner(): Promise<Map<string, number>>;
}
