import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/** The request URL with an `access_token` query parameter's value hidden: tokens never reach the logs. */
export function redactedUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]');
}

/** How a request is logged: its URL without a token. */
export function requestSerializer(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** Fastify's logger options with a request serializer that logs URLs without tokens. */
export function redactingLogger(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const options = logger === true ? {} : logger;
  return {
    ...options,
    serializers: {
      ...(options as { serializers?: object }).serializers,
      req: requestSerializer,
    },
  };
}
