import { describe, expect, it } from 'vitest'
import { jidToPhone, lidUser, phoneToJid, readableText } from './baileys.mapping.js'

describe('baileys.mapping', () => {
  it('turns E.164 numbers into user JIDs and back, devices dropped', () => {
    expect(phoneToJid('+447700900123')).toBe('447700900123@s.whatsapp.net')
    expect(phoneToJid('447700900123')).toBeUndefined()
    expect(phoneToJid('+12')).toBeUndefined()
    expect(jidToPhone('447700900123:12@s.whatsapp.net')).toBe('+447700900123')
    expect(jidToPhone('123@lid')).toBeUndefined()
    expect(jidToPhone('120363000000000000@g.us')).toBeUndefined()
    expect(lidUser('123456:3@lid')).toBe('123456@lid')
    expect(lidUser('447700900123@s.whatsapp.net')).toBeUndefined()
  })

  it('gives every kind of message a readable text', () => {
    expect(readableText({ conversation: 'hi' })).toBe('hi')
    expect(readableText({ extendedTextMessage: { text: 'link https://x' } })).toBe('link https://x')
    expect(readableText({ imageMessage: { caption: 'look' } })).toBe('look')
    expect(readableText({ imageMessage: {} })).toBe('[image]')
    expect(readableText({ audioMessage: { ptt: true } })).toBe('[voice message]')
    expect(readableText({ documentMessage: { fileName: 'cv.pdf' } })).toBe('[document: cv.pdf]')
    expect(
      readableText({ locationMessage: { name: 'Cafe', degreesLatitude: 1, degreesLongitude: 2 } }),
    ).toBe('[location: Cafe]')
    expect(readableText({ locationMessage: { degreesLatitude: 1.5, degreesLongitude: 2 } })).toBe(
      '[location: 1.5, 2]',
    )
    expect(readableText({ contactMessage: { displayName: 'Bob' } })).toBe('[contact: Bob]')
    expect(readableText({ ephemeralMessage: { message: { conversation: 'vanishing' } } })).toBe(
      'vanishing',
    )
    expect(readableText({ reactionMessage: { text: '👍' } })).toBe('[reaction: 👍]')
    expect(readableText({ senderKeyDistributionMessage: {} })).toBeUndefined()
    expect(readableText(undefined)).toBeUndefined()
  })
})
