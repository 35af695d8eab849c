import { describe, expect, it } from 'vitest'
import type { Condition } from './flows.schemas.js'
import { evaluate, fillValue, interpolate, type Scope } from './flows.values.js'

const scope: Scope = {
  vars: {
    name: 'Aisha',
    age: 34,
    order: { status: 'shipped', items: [{ sku: 'A1' }] },
    when: '2026-04-03',
  },
  contact: {
    id: 'c1',
    phone: '+971501234567',
    name: 'Aisha K.',
    language: 'ar',
    tags: ['vip', 'Dubai'],
    attributes: { city: 'Dubai', visits: '7' },
  },
  text: 'Hello there',
}

describe(interpolate.name, () => {
  it('fills variables, nested values, the contact and the message', () => {
    expect(
      interpolate(
        '{{name}} ({{ age }}) {{order.status}} {{order.items.0.sku}} {{contact.attributes.city}} {{contact.tags}} "{{message.text}}"',
        scope,
      ),
    ).toBe('Aisha (34) shipped A1 Dubai vip, Dubai "Hello there"')
  })

  it('reads unknown paths as nothing, and leaves other braces alone', () => {
    expect(interpolate('[{{nope}}] [{{order.nope.deeper}}] {single} {{ bad path }}', scope)).toBe(
      '[] [] {single} {{ bad path }}',
    )
  })

  it('does not reach into prototypes', () => {
    expect(interpolate('{{name.length}}{{constructor}}{{order.toString}}', scope)).toBe('')
  })
})

describe(fillValue.name, () => {
  it('keeps the type of a value that is one placeholder, and fills texts and nested objects', () => {
    expect(fillValue('{{age}}', scope)).toBe(34)
    expect(fillValue('{{order}}', scope)).toEqual({ status: 'shipped', items: [{ sku: 'A1' }] })
    expect(fillValue('{{missing}}', scope)).toBeNull()
    expect(fillValue({ who: 'Hi {{name}}', list: ['{{age}}', 1, true] }, scope)).toEqual({
      who: 'Hi Aisha',
      list: [34, 1, true],
    })
  })
})

describe(evaluate.name, () => {
  const cases: Array<[Condition, boolean]> = [
    [{ var: 'name', op: 'eq', value: 'AISHA' }, true],
    [{ var: 'name', op: 'ne', value: 'Omar' }, true],
    [{ var: 'age', op: 'eq', value: 34 }, true],
    [{ var: 'age', op: 'gt', value: 30 }, true],
    [{ var: 'age', op: 'lte', value: 33 }, false],
    [{ var: 'contact.attributes.visits', op: 'gte', value: 7 }, true],
    [{ var: 'when', op: 'lt', value: '2026-05-01' }, true],
    [{ var: 'name', op: 'gt', value: 3 }, false],
    [{ var: 'contact.tags', op: 'contains', value: 'dubai' }, true],
    [{ var: 'contact.tags', op: 'contains', value: 'new' }, false],
    [{ var: 'message.text', op: 'contains', value: 'THERE' }, true],
    [{ var: 'contact.language', op: 'in', value: ['en', 'ar'] }, true],
    [{ var: 'order.status', op: 'exists' }, true],
    [{ var: 'order.eta', op: 'missing' }, true],
    [{ var: 'contact.attributes.city', op: 'missing' }, false],
    [
      {
        all: [
          { var: 'age', op: 'gt', value: 18 },
          { var: 'name', op: 'eq', value: 'aisha' },
        ],
      },
      true,
    ],
    [
      {
        any: [
          { var: 'age', op: 'lt', value: 18 },
          { var: 'name', op: 'eq', value: 'x' },
        ],
      },
      false,
    ],
    [{ not: { var: 'age', op: 'lt', value: 18 } }, true],
  ]
  it.each(cases)('%j is %s', (condition, expected) => {
    expect(evaluate(condition, scope)).toBe(expected)
  })
})
