// The workflow model and the document layouts built on it (contract §4), shared by server and client.
export * from './json.js';
export * from './limits.js';
export * from './schema.js';
export * from './tags.js';
export * from './yjson.js';
export * from './library-doc.js';
export * from './public-doc.js';
export * from './opened-doc.js';
