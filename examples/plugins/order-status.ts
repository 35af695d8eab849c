// An example Linda bot plugin. Copy it into your plugins directory (LINDA_PLUGINS_DIR,
// default <data dir>/plugins) and restart Linda. Adds:
//   - a command, `!order <number>`, answered from a (here: made-up) order book;
//   - a rule action, `order-status.flag`, that tags the contact with the order's state;
//   - a hook that leaves messages of a blocked number unanswered.
// See docs/bot.md, "Plugins".
import { z } from 'zod'
import type { PluginApi } from '../../src/bot/index.js'

const orders: Record<string, 'shipped' | 'packing' | 'delivered'> = {
  '1042': 'shipped',
  '1043': 'packing',
}

const blocked = new Set(['+15550009999'])

export default {
  name: 'order-status',
  setup(api: PluginApi) {
    api.addCommand({
      name: 'order',
      summary: { en: 'The state of an order', es: 'El estado de un pedido' },
      usage: 'order <number>',
      pure: true,
      run({ args, prefix }) {
        const number = args[0]?.replace(/^#/, '')
        if (!number) return `Usage: ${prefix}order <number>`
        const state = orders[number]
        return state ? `Order ${number} is ${state}.` : `I cannot find order ${number}.`
      },
    })

    api.addAction({
      name: 'flag',
      params: z.object({ tagPrefix: z.string().min(1).max(20).default('order') }),
      run({ tagPrefix }, { message, logger }) {
        const number = /\d{4}/.exec(message.text ?? '')?.[0]
        logger.info({ number }, 'flagging an order question')
        if (!number) return []
        return [{ type: 'text', text: `${tagPrefix} ${number}: ${orders[number] ?? 'unknown'}` }]
      },
    })

    api.beforeDispatch(({ message }) => (blocked.has(message.phone) ? 'stop' : undefined))
  },
}
