export { normalizePhone } from './phone.js'
export { contactOptedOut, upsertContactByPhone, findContactPhone } from './contacts.repo.js'
