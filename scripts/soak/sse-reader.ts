import { request, type ClientRequest } from 'node:http';

/** One server-sent message: `id`, `event` (message unless named) and `data`. */
export interface SseMessage {
  id?: string;
  event: string;
  data?: string;
}

/** Reads a server-sent event stream over a real socket and hands each message to `onMessage`; `close()` ends it. */
export function readSse(url: string, onMessage: (message: SseMessage) => void, onEnd: (status: number) => void = () => undefined): { close: () => void } {
  let buffer = '';
  const req: ClientRequest = request(url, { headers: { accept: 'text/event-stream' } }, (response) => {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = { event: 'message' };
        let comment = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comment = true;
          else if (line.startsWith('event: ')) message.event = line.slice(7);
          else if (line.startsWith('id: ')) message.id = line.slice(4);
          else if (line.startsWith('data: ')) message.data = line.slice(6);
        }
        if (!comment && (message.data !== undefined || message.event !== 'message')) onMessage(message);
      }
    });
    response.on('end', () => onEnd(response.statusCode ?? 0));
    response.on('error', () => undefined);
  });
  req.on('error', () => onEnd(0));
  req.end();
  return { close: () => req.destroy() };
}
