export { normalizePhone } from './phone.js'
export { upsertContactByPhone, findContactPhone } from './contacts.repo.js'
