import type { FastifyInstance } from 'fastify';
import { catalogHtml } from '../../catalog/catalog-html.js';
import { catalogMarkdown } from '../../catalog/catalog-markdown.js';
import { eventCatalog } from '../../catalog/event-catalog.js';
import type { EventStore } from '../../store/event-store.js';
import type { Access } from '../access.js';
import { SCOPES } from '../route-scopes.js';
import { errorResponses } from '../schemas.js';

type CatalogFormat = 'html' | 'md' | 'json';

const MEDIA_TYPES: Record<CatalogFormat, string> = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** `GET /catalog`: the event catalog as a page, Markdown or JSON, narrowed to the categories the token may read. */
export function catalogRoutes(app: FastifyInstance, store: EventStore, access: Access): void {
  app.get<{ Querystring: { format: CatalogFormat } }>(
    '/catalog',
    {
      schema: {
        summary: 'The event catalog: every event type with its versions, an example of each, producers, consumers, projections, count and last seen',
        tags: ['catalog'],
        'x-scope': SCOPES.readCatalog,
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['html', 'md', 'json'], default: 'html', description: 'a static HTML page, Markdown, or the catalog as JSON' } },
          additionalProperties: false,
        },
        response: {
          200: {
            description: 'the catalog in the format asked for',
            content: {
              'text/html': { schema: { type: 'string' } },
              'text/markdown': { schema: { type: 'string' } },
              'application/json': { schema: { type: 'object', required: ['generatedAt', 'samplePerType', 'types'], additionalProperties: true } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      // what the token may not read is left out while gathering, so nothing of it reaches any format
      const catalog = await eventCatalog(store, { mayRead: (categories) => access.mayRead(request, categories) });
      const { format } = request.query;
      const body = format === 'json' ? JSON.stringify(catalog) : format === 'md' ? catalogMarkdown(catalog) : catalogHtml(catalog);
      return reply.type(MEDIA_TYPES[format]).send(body);
    },
  );
}
