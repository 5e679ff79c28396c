export { eventCatalog, DEFAULT_SAMPLE_PER_TYPE, type EventCatalog, type EventCatalogOptions, type CatalogType, type CatalogVersion, type CatalogEvent } from './event-catalog.js';
export { catalogHtml } from './catalog-html.js';
export { catalogMarkdown } from './catalog-markdown.js';
