import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { AppError } from '../platform/errors.js'
import type { Principal } from '../users/principal.js'
import type { Role, Scope } from '../users/roles.js'

/** The Fastify instance every module's routes plug into (zod schemas as the type provider). */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' })

/** Problem responses every authenticated route may give, for the OpenAPI document. */
export const commonErrors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
} as const

export const idParams = z.object({ id: z.string().min(1).max(64) })

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() })
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url')
}

/** Decodes a cursor from a list response; a cursor that was not made by Linda is a 400. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  const id = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError('VALIDATION_FAILED', 'The cursor is not valid', [
      { path: 'query.cursor', message: 'not a cursor returned by this API' },
    ])
  }
  return id
}

/** A cursor for lists ordered by more than the id: its position, as opaque text. */
export function encodeKeyCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url')
}

/** Reads a cursor made by `encodeKeyCursor`; anything else is a 400 naming the cursor. */
export function decodeKeyCursor<T extends z.ZodType>(
  cursor: string | undefined,
  shape: T,
): z.output<T> | undefined {
  if (cursor === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    parsed = undefined
  }
  const result = shape.safeParse(parsed)
  if (!result.success) {
    throw new AppError('VALIDATION_FAILED', 'The cursor is not valid', [
      { path: 'query.cursor', message: 'not a cursor returned by this API' },
    ])
  }
  return result.data
}

/** Cuts a `limit + 1` row list to a page and its next cursor. */
export function toPage<T extends { id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no sign-in and no API key. */
    public?: boolean
    /** The least role that may call the route; default viewer to read, agent to change. */
    minRole?: Role
    /**
     * The scope an API key needs for the route; default admin for admin routes, else read
     * to read and write to change (see `scopeOfRoute`).
     */
    scope?: Scope
  }
  interface FastifyRequest {
    /** Who is calling: a signed-in user or an API key (unset on public routes). */
    principal?: Principal
  }
}
