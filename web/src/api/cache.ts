import type { QueryClient } from '@tanstack/react-query'
import { queryKeys } from './queryKeys'
import type { Account, Campaign, LindaEvent, Message, MessageStatus, Page, Pairing } from './types'

/** Folds one event from the stream into the TanStack Query cache. */
export function applyEvent(queryClient: QueryClient, event: LindaEvent): void {
  if (event.type === 'account.state') {
    storeAccount(queryClient, event.data)
    return
  }
  if (event.type === 'campaign.progress') {
    const { campaignId, status, statusReason, progress } = event.data
    const cached = queryClient.getQueryData<Page<Campaign>>(queryKeys.campaigns)
    if (cached && !cached.items.some((c) => c.id === campaignId)) {
      // A campaign this list has not seen (made elsewhere): fetch the list again.
      void queryClient.invalidateQueries({ queryKey: queryKeys.campaigns })
      return
    }
    queryClient.setQueryData<Page<Campaign>>(queryKeys.campaigns, (page) =>
      page
        ? {
            ...page,
            items: page.items.map((c) =>
              c.id === campaignId ? { ...c, status, statusReason, progress } : c,
            ),
          }
        : page,
    )
    return
  }
  if (event.type === 'account.pairing') {
    const { accountId, ...codes } = event.data
    queryClient.setQueryData<Pairing>(queryKeys.pairing(accountId), { state: 'linking', ...codes })
    return
  }

  const message = event.data
  const key = queryKeys.conversation(message.accountId, message.phone)
  // Only conversations somebody is looking at are cached; others are fetched fresh when opened.
  queryClient.setQueryData<Page<Message>>(key, (page) =>
    page ? { ...page, items: upsertMessage(page.items, message) } : page,
  )
}

/** Puts an account the API answered into the cached list (unless the list has a newer copy). */
export function storeAccount(queryClient: QueryClient, account: Account): void {
  queryClient.setQueryData<Page<Account>>(queryKeys.accounts, (page) =>
    page ? { ...page, items: upsertAccount(page.items, account) } : page,
  )
}

/** Takes a deleted account out of the cached list. */
export function forgetAccount(queryClient: QueryClient, accountId: string): void {
  queryClient.setQueryData<Page<Account>>(queryKeys.accounts, (page) =>
    page ? { ...page, items: page.items.filter((item) => item.id !== accountId) } : page,
  )
  queryClient.removeQueries({ queryKey: queryKeys.pairing(accountId) })
}

function upsertAccount(accounts: Account[], account: Account): Account[] {
  const exists = accounts.some((item) => item.id === account.id)
  if (!exists) return [...accounts, account]
  return accounts.map((item) =>
    item.id === account.id && account.updatedAt >= item.updatedAt ? account : item,
  )
}

const statusRank: Record<MessageStatus, number> = {
  received: 0,
  queued: 1,
  sending: 2,
  uncertain: 3,
  sent: 4,
  delivered: 5,
  read: 6,
  failed: 6,
}

function isNewer(candidate: Message, current: Message): boolean {
  const candidateTime = Date.parse(candidate.updatedAt)
  const currentTime = Date.parse(current.updatedAt)
  if (candidateTime !== currentTime) return candidateTime > currentTime
  return statusRank[candidate.status] >= statusRank[current.status]
}

/** Inserts or replaces a message in a newest-first list, never moving a status backwards. */
export function upsertMessage(messages: Message[], message: Message): Message[] {
  const index = messages.findIndex((item) => item.id === message.id)
  if (index === -1) {
    return [message, ...messages].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
  }
  const current = messages[index]
  if (current && !isNewer(message, current)) return messages
  return messages.with(index, message)
}
