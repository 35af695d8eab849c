import type { Account, AccountsService } from '../accounts/index.js'
import type { Db } from '../platform/db/index.js'
import { AppError, type FieldError } from '../platform/errors.js'
import { newId } from '../platform/ids.js'
import type { TransportCapabilities, TransportKind } from '../transports/index.js'
import { checkTemplate } from './templates.check.js'
import { renderTemplate, type RenderContact, type Rendered } from './templates.render.js'
import * as repo from './templates.repo.js'
import type {
  CreateTemplateInput,
  PreviewInput,
  Template,
  TemplateCategory,
  TemplateDefinition,
  UpdateTemplateInput,
} from './templates.schemas.js'

export interface TemplatesDeps {
  db: Db
  accounts: AccountsService
  /** What each transport kind can do: whether its accounts need approved templates. */
  capabilities: Partial<Record<TransportKind, TransportCapabilities>>
}

/** A render asked for by another module (a campaign, a schedule) or a preview. */
export interface RenderRequest {
  /** The contact whose data and language the render uses (by id, or as loaded). */
  contactId?: string
  contact?: RenderContact
  vars?: Record<string, unknown>
  /** A language asked for, before the contact's. */
  language?: string
  /** The sending account: its default language, time zone and need of approved templates. */
  accountId?: string
}

/** Message templates: stored with their variants, checked when written, rendered per contact. */
export class TemplatesService {
  constructor(private readonly deps: TemplatesDeps) {}

  async create(input: CreateTemplateInput): Promise<Template> {
    const def: TemplateDefinition = { ...input, description: input.description ?? null }
    check(def)
    try {
      return await repo.insertTemplate(this.deps.db, newId(), def)
    } catch (err) {
      if (repo.isUniqueViolation(err)) throw nameTaken(def.name)
      throw err
    }
  }

  list(query: { category?: TemplateCategory; after?: string; limit: number }): Promise<Template[]> {
    return repo.listTemplates(this.deps.db, query)
  }

  async get(id: string): Promise<Template> {
    const template = await repo.findTemplate(this.deps.db, id)
    if (!template) throw new AppError('TEMPLATE_NOT_FOUND', `No template has the id ${id}`)
    return template
  }

  /** A template by its name (for modules that refer to templates by name). */
  async getByName(name: string): Promise<Template> {
    const template = await repo.findTemplateByName(this.deps.db, name)
    if (!template) throw new AppError('TEMPLATE_NOT_FOUND', `No template is named ${name}`)
    return template
  }

  /** Changes the fields given; the template as changed is checked whole. */
  async update(id: string, change: UpdateTemplateInput): Promise<Template> {
    const current = await this.get(id)
    const def: TemplateDefinition = {
      name: change.name ?? current.name,
      category: change.category ?? current.category,
      description: change.description === undefined ? current.description : change.description,
      variables: change.variables ?? current.variables,
      variants: change.variants ?? current.variants,
    }
    check(def)
    try {
      const updated = await repo.updateTemplate(this.deps.db, id, def)
      if (!updated) throw new AppError('TEMPLATE_NOT_FOUND', `No template has the id ${id}`)
      return updated
    } catch (err) {
      if (repo.isUniqueViolation(err)) throw nameTaken(def.name)
      throw err
    }
  }

  async delete(id: string): Promise<void> {
    if (!(await repo.deleteTemplate(this.deps.db, id))) {
      throw new AppError('TEMPLATE_NOT_FOUND', `No template has the id ${id}`)
    }
  }

  /** `POST /templates/{id}/preview`: renders without sending anything. */
  async preview(id: string, input: PreviewInput): Promise<Rendered> {
    return this.render(await this.get(id), input, 'body.')
  }

  /**
   * Renders a template (or the template with this id) for a contact: the variant by the
   * fallback chain, the variables from `vars`, the contact's data and their defaults, and
   * for an account that needs approved templates, a Cloud API `template` message.
   * Throws TEMPLATE_RENDER_FAILED, CONTACT_NOT_FOUND or ACCOUNT_NOT_FOUND.
   */
  async render(
    template: Template | string,
    request: RenderRequest,
    pathPrefix = '',
  ): Promise<Rendered> {
    const t = typeof template === 'string' ? await this.get(template) : template
    let contact = request.contact
    if (!contact && request.contactId !== undefined) {
      contact = await repo.findRenderContact(this.deps.db, request.contactId)
      if (!contact) {
        throw new AppError('CONTACT_NOT_FOUND', `No contact has the id ${request.contactId}`, [
          { path: `${pathPrefix}contactId`, message: 'names no contact' },
        ])
      }
    }
    const account =
      request.accountId === undefined
        ? undefined
        : await this.account(request.accountId, pathPrefix)
    try {
      return renderTemplate(t, {
        ...(contact ? { contact } : {}),
        ...(request.vars ? { vars: request.vars } : {}),
        ...(request.language ? { language: request.language } : {}),
        defaultLanguage: account?.settings.defaultLanguage ?? null,
        timeZone: account?.settings.timezone ?? 'UTC',
        templatesRequired: account
          ? (this.deps.capabilities[account.transport]?.templatesRequired ?? false)
          : false,
      })
    } catch (err) {
      if (err instanceof AppError && pathPrefix) {
        throw new AppError(
          err.code,
          err.message,
          err.errors?.map((e) => ({ ...e, path: `${pathPrefix}${e.path}` })),
        )
      }
      throw err
    }
  }

  private async account(id: string, pathPrefix: string): Promise<Account> {
    const live = this.deps.accounts.live(id)
    if (live) return live
    try {
      return await this.deps.accounts.get(id)
    } catch (err) {
      if (err instanceof AppError && err.code === 'ACCOUNT_NOT_FOUND') {
        throw new AppError('ACCOUNT_NOT_FOUND', err.message, [
          { path: `${pathPrefix}accountId`, message: 'names no account' },
        ])
      }
      throw err
    }
  }
}

function check(def: TemplateDefinition): void {
  const problems: FieldError[] = checkTemplate(def).map((p) => ({ ...p, path: `body.${p.path}` }))
  if (problems.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      problems.map((p) => `${p.path}: ${p.message}`).join('; '),
      problems,
    )
  }
}

function nameTaken(name: string): AppError {
  return new AppError('TEMPLATE_NAME_TAKEN', `Another template is named ${name}`, [
    { path: 'body.name', message: 'is the name of another template' },
  ])
}
