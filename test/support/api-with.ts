import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { replyError } from '../../src/http/reply-error.js';

/** A bare fastify app with the API's validation and error shape (as src/http/app.ts sets them up) around the routes `register` adds. */
export async function apiWith(register: (app: FastifyInstance) => PromiseLike<unknown>): Promise<FastifyInstance> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) return replyError(reply, { code: 'VALIDATION_FAILED', message: 'invalid' });
    return replyError(reply, { code: 'INTERNAL', message: error.message });
  });
  await register(app);
  await app.ready();
  return app;
}
