import { z } from 'zod';
import type { Gateway } from '../gateway/build-gateway.ts';
import { errors } from '../errors/codes.ts';
import type { Authenticator } from '../server/auth.ts';
import { readBody, readJson, sendError, sendJson } from '../server/http-exchange.ts';
import type { RouteInput, Router } from '../server/router.ts';
import { schemaError } from '../server/zod-error.ts';
import type { BatchService } from './batch-service.ts';

const createBatchSchema = z.looseObject({
  input_file_id: z.string().min(1),
  endpoint: z.string().min(1),
  completion_window: z.string().min(1).default('24h'),
  metadata: z.record(z.string(), z.string()).nullish(),
});

type Handler = (input: RouteInput, service: BatchService, principal: Awaited<ReturnType<Authenticator['authenticate']>>) => Promise<unknown>;

/**
 * OpenAI's Files and Batches routes: `/v1/files` (multipart upload, metadata, content, list,
 * delete) and `/v1/batches` (create, retrieve, list, cancel). Every route authenticates first and
 * works only on the caller's tenant.
 */
export function registerBatchRoutes(router: Router, gateway: Gateway, authenticator: Authenticator): void {
  const route = (handler: Handler) =>
    async function batchRoute(input: RouteInput): Promise<void> {
      try {
        const principal = await authenticator.authenticate(input.request.headers);
        const result = await handler(input, gateway.batch.service, principal);
        if (typeof result === 'string') {
          input.response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(result) });
          input.response.end(result);
        } else sendJson(input.response, 200, result);
      } catch (error) {
        input.request.resume();
        sendError(input.response, error, 'openai');
      }
    };

  router
    .on('POST', '/v1/files', route(async ({ request }, service, principal) => {
      const contentType = request.headers['content-type'] ?? '';
      if (!/^multipart\/form-data/i.test(contentType)) throw errors.invalidRequest('Upload files as multipart/form-data with fields `purpose` and `file`', 'file');
      const body = await readBody(request, gateway.config.batch.max_file_bytes);
      let form: FormData;
      try {
        form = await new Request('http://frugal.local/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
      } catch {
        throw errors.invalidRequest('The multipart body could not be read', 'file');
      }
      const purpose = form.get('purpose');
      const file = form.get('file');
      if (typeof purpose !== 'string' || purpose === '') throw errors.invalidRequest('The `purpose` field is required', 'purpose');
      if (file === null || typeof file === 'string') throw errors.invalidRequest('The `file` field must be a file', 'file');
      return service.uploadFile(principal, { filename: file.name || 'upload.jsonl', purpose, content: await file.text() });
    }))
    .on('GET', '/v1/files', route(async ({ url }, service, principal) => service.listFiles(principal, url.searchParams.get('purpose') ?? undefined)))
    .on('GET', '/v1/files/:id', route(async ({ params }, service, principal) => service.getFile(principal, params.id)))
    .on('DELETE', '/v1/files/:id', route(async ({ params }, service, principal) => service.deleteFile(principal, params.id)))
    .on('GET', '/v1/files/:id/content', route(async ({ params }, service, principal) => service.fileContent(principal, params.id)))
    .on('POST', '/v1/batches', route(async ({ request }, service, principal) => {
      const parsed = createBatchSchema.safeParse(await readJson(request, gateway.config.server.body_limit_bytes));
      if (!parsed.success) throw schemaError(parsed.error);
      const { input_file_id: inputFileId, endpoint, completion_window: completionWindow, metadata } = parsed.data;
      return service.createBatch(principal, { inputFileId, endpoint, completionWindow, metadata });
    }))
    .on('GET', '/v1/batches', route(async ({ url }, service, principal) => {
      const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
      return service.listBatches(principal, { after: url.searchParams.get('after') ?? undefined, limit });
    }))
    .on('GET', '/v1/batches/:id', route(async ({ params }, service, principal) => service.getBatch(principal, params.id)))
    .on('POST', '/v1/batches/:id/cancel', route(async ({ request, params }, service, principal) => {
      request.resume();
      return service.cancelBatch(principal, params.id);
    }));
}
