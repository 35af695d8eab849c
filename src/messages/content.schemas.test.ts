import { describe, expect, it } from 'vitest'
import { mediaIdsOf, readableText } from './content.schemas.js'
import { contentOfSend, sendMessageBody } from './messages.schemas.js'

const common = { accountId: 'acc', to: '+15550001111' }

/** The paths of the fields a body is refused for. */
function refusedPaths(body: Record<string, unknown>): string[] {
  const r = sendMessageBody.safeParse({ ...common, ...body })
  if (r.success) return []
  return r.error.issues.map((i) => i.path.join('.'))
}

describe('sendMessageBody', () => {
  it('takes the canonical text body and turns it into text content', () => {
    const body = sendMessageBody.parse({ ...common, type: 'text', text: 'Hello' })
    expect(contentOfSend(body)).toEqual({ type: 'text', text: 'Hello' })
  })

  it('takes media by link or by Linda media id, never both or neither', () => {
    expect(refusedPaths({ type: 'image', media: { link: 'https://e.com/a.jpg' } })).toEqual([])
    expect(refusedPaths({ type: 'video', media: { mediaId: 'm1', caption: 'c' } })).toEqual([])
    expect(refusedPaths({ type: 'image', media: {} })).toEqual(['media.link'])
    expect(
      refusedPaths({ type: 'image', media: { link: 'https://e.com/a.jpg', mediaId: 'm1' } }),
    ).toEqual(['media.mediaId'])
  })

  it('refuses a caption where WhatsApp shows none', () => {
    expect(refusedPaths({ type: 'sticker', media: { mediaId: 'm', caption: 'x' } })).toEqual([
      'media',
    ])
  })

  it('names the field of an unknown type', () => {
    expect(refusedPaths({ type: 'poll' })).toEqual(['type'])
  })

  it('holds interactive messages to WhatsApp limits', () => {
    const buttons = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `b${i}`, title: `B${i}` }))
    const ask = (b: unknown) => ({
      type: 'interactive',
      interactive: { type: 'buttons', body: 'Pick', buttons: b },
    })
    expect(refusedPaths(ask(buttons(3)))).toEqual([])
    expect(refusedPaths(ask(buttons(4)))).toEqual(['interactive.buttons'])
    expect(
      refusedPaths(
        ask([
          { id: 'a', title: 'A' },
          { id: 'a', title: 'B' },
        ]),
      ),
    ).toEqual(['interactive.buttons'])
    const rows = Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `R${i}` }))
    expect(
      refusedPaths({
        type: 'interactive',
        interactive: { type: 'list', body: 'Pick', button: 'Open', sections: [{ rows }] },
      }),
    ).toEqual(['interactive.sections'])
  })

  it('checks template names, languages and components', () => {
    const ok = {
      type: 'template',
      template: {
        name: 'hello_world',
        language: 'en_US',
        components: [
          {
            type: 'header',
            parameters: [{ type: 'image', media: { mediaId: 'm9' } }],
          },
          { type: 'button', subType: 'url', index: 0, text: 'orders/42' },
        ],
      },
    }
    expect(refusedPaths(ok)).toEqual([])
    expect(
      refusedPaths({ type: 'template', template: { name: 'x', language: 'English' } }),
    ).toEqual(['template.language'])
    const body = sendMessageBody.parse({ ...common, ...ok })
    expect(mediaIdsOf(contentOfSend(body))).toEqual(['m9'])
  })
})

describe(readableText.name, () => {
  it('reads captions, bodies, emoji, replies and names as text', () => {
    expect(readableText({ type: 'image', media: { link: 'x', caption: 'Cat' } })).toBe('Cat')
    expect(readableText({ type: 'audio', media: { link: 'x' } })).toBeNull()
    expect(readableText({ type: 'reaction', reaction: { messageId: 'm', emoji: '' } })).toBeNull()
    expect(readableText({ type: 'list_reply', reply: { id: 'r', title: 'Dubai' } })).toBe('Dubai')
    expect(
      readableText({ type: 'template', template: { name: 'order_update', language: 'en' } }),
    ).toBe('[template order_update]')
  })
})
