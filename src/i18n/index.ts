export {
  languageNames,
  languages,
  pickLanguage,
  supportedLanguage,
  translate,
  type Language,
  type MessageKey,
} from './i18n.js'
