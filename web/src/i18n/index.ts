import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { hi } from './hi';

/** Every user-facing string goes through here; dates, times and money through `format.ts`. */
export const LANGUAGES = { en: 'English', hi: 'हिन्दी' } as const;
export type Language = keyof typeof LANGUAGES;

// The language choice is the only thing the app keeps in browser storage (no personal data).
const LANG_KEY = 'carebook.lang';
const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(LANG_KEY);
const initial: Language =
  saved === 'hi' || saved === 'en' ? saved : navigator.language.startsWith('hi') ? 'hi' : 'en';

i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, hi: { translation: hi } },
  lng: initial,
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = initial;

export function setLanguage(lang: Language) {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
  void i18n.changeLanguage(lang);
}

/** The BCP 47 locale Intl formats with. */
export const locale = () => (i18n.language === 'hi' ? 'hi-IN' : 'en-IN');

export default i18n;
