import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { AppError, errorCatalogue, type ErrorCode, type FieldError } from '../platform/errors.js'

interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  code: ErrorCode
  errors?: FieldError[]
}

export function problem(code: ErrorCode, detail?: string, errors?: FieldError[]): Problem {
  const entry = errorCatalogue[code]
  return {
    type: `https://linda.dev/errors/${code.toLowerCase().replaceAll('_', '-')}`,
    title: entry.title,
    status: entry.status,
    ...(detail ? { detail } : {}),
    code,
    ...(errors?.length ? { errors } : {}),
  }
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p)
}

function fieldPath(context: string, instancePath: string): string {
  // Fastify calls the query string "querystring"; paths say `query.limit` (see FieldError).
  const where = context === 'querystring' ? 'query' : context
  const rest = instancePath.replace(/^\//, '').replaceAll('/', '.')
  return rest ? `${where}.${rest}` : where
}

/** Maps a Fastify error code to Linda's catalogue, for errors raised before our handlers. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_RATE_LIMIT: 'RATE_LIMITED',
}

/** The one error handler: every error leaves Linda as application/problem+json. */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) {
    if (err.headers) void reply.headers(err.headers)
    return sendProblem(reply, problem(err.code, err.message, err.errors))
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      path: fieldPath(err.validationContext ?? 'body', v.instancePath),
      message: v.message ?? 'is invalid',
    }))
    const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ')
    return sendProblem(reply, problem('VALIDATION_FAILED', detail, errors))
  }
  const mapped = err.code ? fastifyCodes[err.code] : undefined
  if (mapped) {
    const detail =
      mapped === 'MALFORMED_JSON'
        ? `The body could not be parsed as JSON: ${err.message.replace(/^Body is not valid JSON but content-type is set to 'application\/json'$/, 'invalid JSON')}`
        : err.message
    return sendProblem(reply, problem(mapped, detail))
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return sendProblem(reply, {
      type: 'about:blank',
      title: err.name,
      status,
      detail: err.message,
      code: 'VALIDATION_FAILED',
    })
  }
  req.log.error({ err }, 'request failed')
  return sendProblem(
    reply,
    problem('INTERNAL', 'Something went wrong on our side; the error is in the log'),
  )
}
